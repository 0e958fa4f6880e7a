"""Publishing to Redis from synchronous code: in order, after commit, never blocking.

Every process (api, worker) owns one background thread running an asyncio
loop. Services hand it channel-layer sends through ``publish``; one coroutine
sends them in the order given. Two reasons for the thread:

* ``async_to_sync(group_send)`` from a plain thread (a Celery task) starts a
  new event loop per call, and channels-redis keeps its connection pools per
  loop, so each call would open a new Redis connection.
* The caller (a worker storing events, a request stopping an execution) must
  not wait on Redis. A publish that fails is logged and dropped: every event
  is already in the database, and clients catch up by seq.
"""

import asyncio
import atexit
import logging
import threading

from channels.layers import get_channel_layer
from django.conf import settings

from ops import metrics

logger = logging.getLogger(__name__)

# Workers listen here for stop requests made by any other process.
STOP_CHANNEL = "agents.stop"


def new_event_loop():
    """uvloop where it is installed: a worker's loop carries every run's stream,
    and uvloop spends a fraction of asyncio's CPU per socket read."""
    try:
        import uvloop
    except ImportError:  # not built for this platform (Windows)
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class BackgroundLoop:
    """An asyncio loop in a daemon thread, started on first use.

    Workers use Celery's thread pool, never a forking one, so one loop per
    process is made once and lives as long as the process.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.loop = None

    def get(self):
        with self._lock:
            if self.loop is None:
                self.loop = new_event_loop()
                threading.Thread(target=self.loop.run_forever, name="background-io", daemon=True).start()
            return self.loop

    def submit(self, coroutine):
        """Run a coroutine on the loop; returns a concurrent.futures.Future."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.get())


background = BackgroundLoop()


class Publisher:
    """Sends (group, message) pairs to the channel layer in the order published."""

    def __init__(self, loop):
        self._loop = loop
        self._queue = None
        self._sender = None  # the sending task's future, kept for as long as it runs
        self._lock = threading.Lock()

    def _ensure_running(self):
        with self._lock:
            if self._queue is None:
                loop = self._loop.get()
                self._queue = asyncio.Queue()
                self._sender = asyncio.run_coroutine_threadsafe(self._send_forever(), loop)
        return self._loop.loop

    def publish(self, sends):
        loop = self._ensure_running()
        loop.call_soon_threadsafe(self._queue.put_nowait, list(sends))

    def flush(self, timeout=5.0):
        """Wait until everything published so far has been sent (for shutdown and tests)."""
        if self._queue is None:
            return
        done = threading.Event()
        self._loop.loop.call_soon_threadsafe(self._queue.put_nowait, done)
        done.wait(timeout)

    async def _send_forever(self):
        layer = get_channel_layer()
        while True:
            # Everything queued while the last round trip was in flight goes
            # out in the next one: batches grow with load, latency stays low.
            items = [await self._queue.get()]
            while not self._queue.empty():
                items.append(self._queue.get_nowait())
            sends = [send for item in items if not isinstance(item, threading.Event) for send in item]
            if sends:
                try:
                    await self._send(layer, sends)
                    metrics.events_broadcast(sends)
                except Exception:
                    logger.exception("Could not broadcast %d message(s)", len(sends))
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()


    @staticmethod
    async def _send(layer, sends):
        send_many = getattr(layer, "group_send_many", None)
        if send_many is not None:
            await send_many(sends)
            return
        for group, message in sends:  # a layer without batching (the core layer)
            await layer.group_send(group, message)


publisher = Publisher(background)
atexit.register(publisher.flush, 2.0)


def publish(sends):
    """Queue channel-layer group sends; call it from ``transaction.on_commit``."""
    publisher.publish(sends)


def wake_workers_to_stop(execution_id):
    """Tell every worker that this execution should stop (best effort; they also poll)."""
    background.submit(_publish_stop(str(execution_id)))


_redis = []


def redis_client():
    """The loop thread's asyncio Redis client (one pool per process, made on first use there)."""
    import redis.asyncio as aioredis

    if not _redis:
        _redis.append(aioredis.Redis.from_url(settings.REDIS_URL))
    return _redis[0]


async def _publish_stop(execution_id):
    try:
        await redis_client().publish(STOP_CHANNEL, execution_id)
    except Exception:
        logger.exception("Could not publish the stop request for %s", execution_id)
