"""Stop requests from other processes: one Redis subscription per worker process."""

import asyncio
import logging
import threading

from realtime.publish import STOP_CHANNEL, background, redis_client

logger = logging.getLogger(__name__)


class StopListener:
    """Subscribes once to the stop channel and hands each requested execution id to ``on_stop``."""

    def __init__(self, on_stop):
        self.on_stop = on_stop
        self._lock = threading.Lock()
        self._ready = None
        self._task = None  # kept: the loop holds only a weak reference to a task

    def ensure_started(self):
        """Start listening unless already done (or failed before); returns a future set once subscribed."""
        with self._lock:
            failed = self._ready is not None and self._ready.done() and self._ready.exception() is not None
            if self._ready is None or failed:
                self._ready = background.submit(self._subscribed())
            return self._ready

    async def _subscribed(self):
        pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(STOP_CHANNEL)
        self._task = asyncio.get_running_loop().create_task(self._listen(pubsub))

    async def _listen(self, pubsub):
        delay = 0.5
        while True:
            try:
                async for message in pubsub.listen():
                    delay = 0.5
                    self.on_stop(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception:
                # redis-py resubscribes on reconnect; heartbeats cover the gap.
                logger.warning("Stop listener lost Redis; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
