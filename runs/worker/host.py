"""Running executions on a worker: agent server streams into the database and the channel layer.

Each worker process has one ``ExecutionHost``. Its parts:

* the background asyncio loop (``realtime.publish.background``) reads every
  run's SSE stream from the agent server (``runs.worker.stream``), one
  coroutine per run, and puts each parsed event on the host's queue; it also
  listens on Redis for stop requests (``runs.worker.stop``);
* one writer thread drains the queue. Whatever arrived since its last write,
  from every run, is stored in one transaction (``record_event_batches``)
  and broadcast as one message per execution. It also ends runs (with an
  ``Outcome``: completed, failed, stopped, lost) and renews every lease in
  one query per heartbeat;
* the Celery task thread of each run claims the execution, hands it to the
  host and waits, holding no database connection, until the run has left
  the host.

Draining instead of writing per event batches by itself under load, while a
lone event is still written as soon as it arrives. The writer also commits
at most once per ``EVENT_WRITE_WINDOW_MS``: hundreds of runs streaming a few
events a second each would otherwise cost a transaction and a broadcast
round trip for almost every event. The queue is bounded without polling:
past ``MAX_QUEUED_EVENTS`` the readers await room, which the writer gives
back after each batch.
"""

import asyncio
import logging
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection

from realtime.publish import background
from runs import selectors, services
from runs.events import PendingEvent

from .outcomes import LOST, SHUT_DOWN, STOPPED, Failed
from .stop import StopListener
from .stream import execution_request, read_stream

logger = logging.getLogger(__name__)

# Past this many unstored events the readers wait for the writer, so a slow
# database slows the streams instead of filling memory.
MAX_QUEUED_EVENTS = 20_000


@dataclass(eq=False)
class Run:
    """One execution being run by this host."""

    execution_id: str
    deadline: float
    reader: object = None  # the stream reader's concurrent.futures.Future
    done: threading.Event = field(default_factory=threading.Event)


class ExecutionHost:
    def __init__(self):
        self.queue = queue.SimpleQueue()
        self.runs = {}  # execution id -> Run
        self.stop_listener = StopListener(self.request_stop)
        self._lock = threading.Lock()
        self._writer = None
        # Readers (on the loop) wait on it while the queue is full; the writer sets it.
        self._room = asyncio.Event()
        self._readers_waiting = False

    # --- The task thread's side -------------------------------------------------------

    def run(self, execution):
        """Run a claimed execution until it leaves this host; called from its Celery task thread."""
        self._ensure_writer()
        active = Run(str(execution.id), time.monotonic() + settings.AGENTS["EXECUTION_TIMEOUT"])
        self.runs[active.execution_id] = active
        try:
            self._start(active, execution)
        except Exception:
            logger.exception("Could not start execution %s", execution.id)
            self.queue.put((active, Failed("The worker could not start the run.", "internal_error")))
        # The wait can be long: give the connection back instead of holding it.
        connection.close()
        active.done.wait()

    def _start(self, active, execution):
        try:
            self.stop_listener.ensure_started().result(timeout=2)
        except Exception:
            logger.warning("Stop listener unavailable; relying on the heartbeat to see stop requests")
        # A stop requested before the listener subscribed would be missed.
        if selectors.is_stop_requested(execution.id):
            self.queue.put((active, STOPPED))
        else:
            sink = lambda item: self.queue.put((active, item))  # noqa: E731
            active.reader = background.submit(read_stream(execution_request(execution), sink, self.room))

    def give_up_all(self):
        """The worker is stopping and its grace is over: every run leaves now (``SHUT_DOWN``)."""
        runs = list(self.runs.values())
        if runs:
            logger.warning("Giving up %d runs: the worker is stopping", len(runs))
        for active in runs:
            self.queue.put((active, SHUT_DOWN))

    def request_stop(self, execution_id):
        active = self.runs.get(execution_id)
        if active is not None:
            self.queue.put((active, STOPPED))

    async def room(self):
        """Return once the queue has room (at once, unless the writer is far behind)."""
        while self.queue.qsize() > MAX_QUEUED_EVENTS:
            self._room.clear()
            self._readers_waiting = True
            # Checked again after saying so: a writer that drained the queue
            # before it saw the flag would never set the event.
            if self.queue.qsize() <= MAX_QUEUED_EVENTS:
                return
            await self._room.wait()

    # --- The writer thread --------------------------------------------------------------

    def _ensure_writer(self):
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_forever, name="runs-writer", daemon=True)
                self._writer.start()

    def _write_forever(self):
        heartbeat = settings.AGENTS["HEARTBEAT_SECONDS"]
        window = settings.AGENTS["EVENT_WRITE_WINDOW"]
        next_heartbeat = time.monotonic() + heartbeat
        next_write = 0.0
        while True:
            items = self._take(timeout=max(0.0, next_heartbeat - time.monotonic()), not_before=next_write)
            if items:
                next_write = time.monotonic() + window
                self._give_room()
            try:
                self._store(items)
                if time.monotonic() >= next_heartbeat:
                    # Recycling a broken or expired connection once a heartbeat
                    # is enough; per batch it cost a health-check query each.
                    close_old_connections()
                    self._heartbeat()
                    next_heartbeat = time.monotonic() + heartbeat
            except Exception:
                logger.exception("The event writer failed; ending the affected runs")
                for active, _ in items:
                    self._end(active, Failed("The worker failed while storing the agent's events.", "internal_error"))

    def _take(self, timeout, not_before=0.0):
        """Wait for the next item, then take everything queued behind it (bounded).

        Nothing is taken before ``not_before``: the writer commits at most
        once a window. An event arriving after a quiet spell is written at
        once; under load, events wait up to a window and share a commit.
        """
        try:
            items = [self.queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        delay = not_before - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        limit = settings.AGENTS["MAX_BATCH_EVENTS"]
        while len(items) < limit:
            try:
                items.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _give_room(self):
        if self._readers_waiting:
            self._readers_waiting = False
            background.get().call_soon_threadsafe(self._room.set)

    def _store(self, items):
        events, outcomes = defaultdict(list), {}
        for active, item in items:
            if active.done.is_set() or active in outcomes:
                continue  # ended: anything after its outcome is dropped
            if isinstance(item, PendingEvent):
                events[active].append(item)
            else:
                outcomes[active] = item
        if events:
            ended = services.record_event_batches({active.execution_id: batch for active, batch in events.items()})
            for active in events:
                if active.execution_id in ended:
                    outcomes[active] = LOST
        for active, outcome in outcomes.items():
            self._end(active, outcome)

    def _heartbeat(self):
        active_runs = [active for active in list(self.runs.values()) if not active.done.is_set()]
        if not active_runs:
            return
        running = services.renew_leases([active.execution_id for active in active_runs])
        now = time.monotonic()
        for active in active_runs:
            if active.execution_id not in running:
                self._end(active, LOST)
            elif running[active.execution_id]:
                self._end(active, STOPPED)
            elif now >= active.deadline:
                limit = settings.AGENTS["EXECUTION_TIMEOUT"]
                self._end(active, Failed(f"The execution took longer than {limit:g} s.", "timeout"))

    def _end(self, active, outcome):
        """The run leaves the host: close its stream, record the outcome, free its task thread."""
        if active.done.is_set():
            return
        if active.reader is not None:
            # Closing the HTTP stream cancels the run on the agent server.
            active.reader.cancel()
        try:
            ended = outcome.finish(active.execution_id)
            logger.info("Execution %s %s", active.execution_id, ended.status if ended else "was ended elsewhere")
        finally:
            self.runs.pop(active.execution_id, None)
            active.done.set()


host = ExecutionHost()
