"""Running executions on a worker: agent server streams into the database and the channel layer.

Each worker process has one ``ExecutionHost``. Its parts:

* the background asyncio loop (``realtime.publish.background``) reads every
  run's SSE stream from the agent server with httpx, one coroutine per run,
  and puts each parsed event on the host's queue; it also listens on Redis
  for stop requests;
* one writer thread drains the queue. Whatever arrived since its last write,
  from every run, is stored in one transaction (``record_event_batches``)
  and broadcast as one message per execution. It also ends runs (completed,
  failed, stopped, lost) and renews every lease in one query per heartbeat;
* the Celery task thread of each run claims the execution, hands it to the
  host and waits, holding no database connection, until the run has ended.

Draining instead of writing per event batches by itself under load, while a
lone event is still written as soon as it arrives. The writer also commits
at most once per ``EVENT_WRITE_WINDOW_MS``: hundreds of runs streaming a few
events a second each would otherwise cost a transaction and a broadcast
round trip for almost every event. A run costs a coroutine and an idle
thread, so one host streams hundreds at once.
"""

import asyncio
import json
import logging
import os
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from httpx_sse import SSEError, aconnect_sse

from realtime.publish import STOP_CHANNEL, background, redis_client
from runs import selectors, services
from runs.events import MalformedEvent, PendingEvent, check_agent_event

from .client import auth_headers

logger = logging.getLogger(__name__)

# Past this many unstored events the readers wait for the writer, so a slow
# database slows the streams instead of filling memory.
MAX_QUEUED_EVENTS = 20_000


@dataclass(frozen=True)
class Result:
    output: dict


@dataclass(frozen=True)
class Failure:
    message: str
    code: str


class StopRequested:
    pass


class LeaseLost:
    pass


STOP = StopRequested()
LOST = LeaseLost()


@dataclass(eq=False)
class Run:
    """One execution being run by this host."""

    execution_id: str
    deadline: float
    reader: object = None
    done: threading.Event = field(default_factory=threading.Event)


def run(execution):
    """Run a claimed execution to its end; called from its Celery task thread."""
    host.run(execution)


class ExecutionHost:
    def __init__(self):
        self.queue = queue.SimpleQueue()
        self.runs = {}  # execution id -> Run
        self._lock = threading.Lock()
        self._writer_pid = None

    # --- The task thread's side -------------------------------------------------------

    def run(self, execution):
        self._ensure_writer()
        active = Run(str(execution.id), time.monotonic() + settings.AGENTS["EXECUTION_TIMEOUT"])
        self.runs[active.execution_id] = active
        try:
            self._start(active, execution)
        except Exception:
            logger.exception("Could not start execution %s", execution.id)
            self.queue.put((active, Failure("The worker could not start the run.", "internal_error")))
        # The wait can be long: give the connection back instead of holding it.
        connection.close()
        active.done.wait()

    def _start(self, active, execution):
        try:
            stop_listener.ensure_started().result(timeout=2)
        except Exception:
            logger.warning("Stop listener unavailable; relying on the heartbeat to see stop requests")
        # A stop requested before the listener subscribed would be missed.
        if selectors.is_stop_requested(execution.id):
            self.queue.put((active, STOP))
        else:
            active.reader = background.submit(read_stream(execution_request(execution), self._sink(active)))

    def request_stop(self, execution_id):
        active = self.runs.get(execution_id)
        if active is not None:
            self.queue.put((active, STOP))

    def _sink(self, active):
        return lambda item: self.queue.put((active, item))

    def backlog(self):
        return self.queue.qsize()

    # --- The writer thread --------------------------------------------------------------

    def _ensure_writer(self):
        with self._lock:
            if self._writer_pid != os.getpid():
                threading.Thread(target=self._write_forever, name="agents-writer", daemon=True).start()
                self._writer_pid = os.getpid()

    def _write_forever(self):
        heartbeat = settings.AGENTS["HEARTBEAT_SECONDS"]
        window = settings.AGENTS["EVENT_WRITE_WINDOW"]
        next_heartbeat = time.monotonic() + heartbeat
        next_write = 0.0
        while True:
            items = self._take(timeout=max(0.0, next_heartbeat - time.monotonic()), not_before=next_write)
            if items:
                next_write = time.monotonic() + window
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
                    self._end(active, Failure("The worker failed while storing the agent's events.", "internal_error"))

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
                self._end(active, STOP)
            elif now >= active.deadline:
                limit = settings.AGENTS["EXECUTION_TIMEOUT"]
                self._end(active, Failure(f"The execution took longer than {limit:g} s.", "timeout"))

    def _end(self, active, outcome):
        if active.done.is_set():
            return
        if active.reader is not None:
            # Closing the HTTP stream cancels the run on the agent server.
            active.reader.cancel()
        try:
            ended = _finish(active.execution_id, outcome)
            logger.info("Execution %s %s", active.execution_id, ended.status if ended else "was ended elsewhere")
        finally:
            self.runs.pop(active.execution_id, None)
            active.done.set()


def _finish(execution_id, outcome):
    if isinstance(outcome, Result):
        return services.complete_execution(execution_id, outcome.output)
    if isinstance(outcome, Failure):
        return services.fail_execution(execution_id, outcome.message, outcome.code)
    if outcome is STOP:
        return services.confirm_stopped(execution_id)
    return None  # LOST: someone else ended it


host = ExecutionHost()


# --- The agent server's stream (runs on the background loop) -----------------------------


def execution_request(execution):
    """The body of the agent server's /execute call (built here: the loop must not touch the ORM)."""
    agent = execution.agent
    return {
        "execution_id": str(execution.id),
        "agent": {"id": str(agent.id), "name": agent.name, "runtime": agent.runtime, "config": agent.config},
        "input_data": execution.input_data,
    }


def _describe_http_error(status, body):
    try:
        error = json.loads(body)["error"]
        detail, code = error["message"], error.get("code") or "mcp_rejected"
    except (ValueError, KeyError, TypeError):
        detail, code = None, None
    if status in (401, 403):
        return Failure(f"Agent service refused the worker's credentials ({status}).", "mcp_unauthorized")
    if status >= 500 or detail is None:
        return Failure(f"Agent service unavailable ({status}).", "mcp_unavailable")
    return Failure(f"Agent service rejected the run: {detail}", code)


async def read_stream(payload, put):
    """Read the agent server's SSE stream for one execution, handing each item to ``put``.

    Always ends by handing over one outcome (Result or Failure), unless cancelled.
    """
    config = settings.AGENTS
    try:
        async with aconnect_sse(_http_client(), "POST", f"{config['MCP_URL']}/execute", json=payload) as source:
            response = source.response
            if response.status_code >= 400:
                body = (await response.aread()).decode("utf-8", "replace")
                put(_describe_http_error(response.status_code, body))
                return
            async for sse in source.aiter_sse():
                data = json.loads(sse.data) if sse.data else {}
                if sse.event == "result":
                    put(Result(output=data.get("output")))
                    return
                if sse.event == "error":
                    put(Failure(data.get("message") or "The agent failed.", data.get("code") or "agent_error"))
                    return
                put(PendingEvent(sse.event, check_agent_event(sse.event, data), timezone.now()))
                while host.backlog() > MAX_QUEUED_EVENTS:
                    await asyncio.sleep(0.01)
        put(Failure("Agent service ended the stream without a result.", "mcp_protocol_error"))
    except asyncio.CancelledError:
        raise
    except httpx.ConnectError:
        put(Failure(f"Agent service unreachable at {config['MCP_URL']}.", "mcp_unavailable"))
    except httpx.TimeoutException:
        put(Failure("Agent service timed out.", "mcp_timeout"))
    except (ValueError, MalformedEvent, SSEError) as exc:
        put(Failure(f"Agent service sent a malformed stream: {exc}", "mcp_protocol_error"))
    except httpx.HTTPError as exc:
        put(Failure(f"Connection to the agent service failed: {type(exc).__name__}.", "mcp_unavailable"))
    except Exception:
        logger.exception("Reading the agent stream of %s failed", payload["execution_id"])
        put(Failure("The worker could not read the agent service's stream.", "internal_error"))


_clients = {}


def _http_client():
    """One pooled client per process, owned by the background loop."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        config = settings.AGENTS
        timeout = httpx.Timeout(
            connect=config["MCP_CONNECT_TIMEOUT"], read=config["MCP_READ_TIMEOUT"], write=10.0, pool=10.0
        )
        client = _clients[loop] = httpx.AsyncClient(
            headers={"Accept": "text/event-stream", **auth_headers()},
            timeout=timeout,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
        )
    return client


# --- Stop requests from other processes -----------------------------------------------------


class StopListener:
    """Subscribes once per process to the stop channel and wakes the matching run."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ready = None
        self._pid = None

    def ensure_started(self):
        """Start listening if not yet done in this process; returns a future set once subscribed."""
        with self._lock:
            failed = self._ready is not None and self._ready.done() and self._ready.exception() is not None
            if self._pid != os.getpid() or failed:
                self._ready = background.submit(self._subscribed())
                self._pid = os.getpid()
            return self._ready

    async def _subscribed(self):
        pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(STOP_CHANNEL)
        asyncio.get_running_loop().create_task(self._listen(pubsub))

    async def _listen(self, pubsub):
        delay = 0.5
        while True:
            try:
                async for message in pubsub.listen():
                    delay = 0.5
                    host.request_stop(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception:
                # redis-py resubscribes on reconnect; heartbeats cover the gap.
                logger.warning("Stop listener lost Redis; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)


stop_listener = StopListener()
