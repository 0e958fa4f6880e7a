"""Running one claimed execution on a worker: the agent server's stream into the database.

Two threads share the work of a run:

* the background loop (``agents.broadcast.background``) reads the agent
  server's SSE stream with httpx and puts each parsed event on a queue; it
  also listens on Redis for stop requests. One loop serves every run in the
  process, so a stream costs a coroutine, not a thread.
* the Celery task's own thread drains the queue, storing whatever has
  arrived since its last write as one batch (one transaction, one broadcast),
  renews the lease on a heartbeat, and ends the execution.

Draining instead of writing per event batches by itself under load, while a
lone event is still written as soon as it arrives.
"""

import asyncio
import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.utils import timezone
from httpx_sse import SSEError, aconnect_sse

from . import selectors, services
from .broadcast import STOP_CHANNEL, background, redis_client
from .events import MalformedEvent, PendingEvent, check_agent_event

logger = logging.getLogger(__name__)

# Past this many unstored events the reader waits for the writer, so a slow
# database slows the stream instead of filling memory.
MAX_QUEUED_EVENTS = 10_000


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


def run(execution):
    """Run a claimed execution to its end (completed, failed or stopped)."""
    active = ActiveRun(execution)
    _runs[str(execution.id)] = active
    try:
        listener_ready = stop_listener.ensure_started()
        try:
            listener_ready.result(timeout=2)
        except Exception:
            logger.warning("Stop listener unavailable; relying on the heartbeat to see stop requests")
        # A stop requested before the listener subscribed would be missed.
        if selectors.is_stop_requested(execution.id):
            outcome = STOP
        else:
            outcome = active.store_until_done()
    except Exception:
        logger.exception("Execution %s failed in the worker", execution.id)
        outcome = Failure("The worker failed while running the agent.", "internal_error")
    finally:
        active.close()
        _runs.pop(str(execution.id), None)
    _finish(execution, outcome)


def _finish(execution, outcome):
    if isinstance(outcome, Result):
        ended = services.complete_execution(execution.id, outcome.output)
    elif isinstance(outcome, Failure):
        ended = services.fail_execution(execution.id, outcome.message, outcome.code)
    elif outcome is STOP:
        ended = services.confirm_stopped(execution.id)
    else:
        ended = None
    if ended is None:
        logger.info("Execution %s was ended elsewhere (stopped or reaped)", execution.id)
    else:
        logger.info("Execution %s %s", execution.id, ended.status)


class ActiveRun:
    def __init__(self, execution):
        self.execution = execution
        self.queue = queue.SimpleQueue()
        self._config = settings.AGENTS
        self._reader = background.submit(read_stream(execution_request(execution), self.queue))

    def request_stop(self):
        self.queue.put(STOP)

    def close(self):
        # Cancelling the reader closes the HTTP stream, which cancels the run
        # on the agent server.
        self._reader.cancel()

    def store_until_done(self):
        """Store batches of events until the stream ends; returns the outcome."""
        heartbeat = self._config["HEARTBEAT_SECONDS"]
        deadline = time.monotonic() + self._config["EXECUTION_TIMEOUT"]
        next_heartbeat = time.monotonic() + heartbeat
        while True:
            batch, outcome = self._take_batch(timeout=max(0.0, min(next_heartbeat, deadline) - time.monotonic()))
            if batch and not services.record_events(self.execution.id, batch):
                return LOST
            if outcome is not None:
                return outcome
            now = time.monotonic()
            if now >= deadline:
                return Failure(f"The execution took longer than {self._config['EXECUTION_TIMEOUT']:g} s.", "timeout")
            if now >= next_heartbeat:
                if not services.renew_lease(self.execution.id):
                    return LOST
                if selectors.is_stop_requested(self.execution.id):
                    return STOP
                next_heartbeat = now + heartbeat

    def _take_batch(self, timeout):
        """Wait for the next item, then take everything already queued behind it."""
        batch = []
        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            return batch, None
        limit = self._config["MAX_BATCH_EVENTS"]
        while True:
            if not isinstance(item, PendingEvent):
                return batch, item
            batch.append(item)
            if len(batch) >= limit:
                return batch, None
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return batch, None


# --- The agent server's stream (runs on the background loop) -----------------------------


def _describe_http_error(response, body):
    status = response.status_code
    try:
        error = json.loads(body)["error"]
        detail, code = error["message"], error.get("code") or "mcp_rejected"
    except (ValueError, KeyError, TypeError):
        detail, code = None, None
    if status == 401 or status == 403:
        return Failure(f"Agent service refused the worker's credentials ({status}).", "mcp_unauthorized")
    if status >= 500 or detail is None:
        return Failure(f"Agent service unavailable ({status}).", "mcp_unavailable")
    return Failure(f"Agent service rejected the run: {detail}", code)


def execution_request(execution):
    """The body of the agent server's /execute call (built here: the loop must not touch the ORM)."""
    agent = execution.agent
    return {
        "execution_id": str(execution.id),
        "agent": {"id": str(agent.id), "name": agent.name, "runtime": agent.runtime, "config": agent.config},
        "input_data": execution.input_data,
    }


async def read_stream(payload, events):
    """Read the agent server's SSE stream for one execution into ``events``.

    Always ends by queueing one outcome (Result or Failure), unless cancelled.
    """
    config = settings.AGENTS
    url = f"{config['MCP_URL']}/execute"
    try:
        async with aconnect_sse(_http_client(), "POST", url, json=payload) as source:
            response = source.response
            if response.status_code >= 400:
                body = (await response.aread()).decode("utf-8", "replace")
                events.put(_describe_http_error(response, body))
                return
            async for sse in source.aiter_sse():
                data = json.loads(sse.data) if sse.data else {}
                if sse.event == "result":
                    events.put(Result(output=data.get("output")))
                    return
                if sse.event == "error":
                    events.put(
                        Failure(data.get("message") or "The agent failed.", data.get("code") or "agent_error")
                    )
                    return
                events.put(PendingEvent(sse.event, check_agent_event(sse.event, data), timezone.now()))
                while events.qsize() > MAX_QUEUED_EVENTS:
                    await asyncio.sleep(0.01)
        events.put(Failure("Agent service ended the stream without a result.", "mcp_protocol_error"))
    except asyncio.CancelledError:
        raise
    except httpx.ConnectError:
        events.put(Failure(f"Agent service unreachable at {config['MCP_URL']}.", "mcp_unavailable"))
    except httpx.TimeoutException:
        events.put(Failure("Agent service timed out.", "mcp_timeout"))
    except (ValueError, MalformedEvent, SSEError) as exc:
        events.put(Failure(f"Agent service sent a malformed stream: {exc}", "mcp_protocol_error"))
    except httpx.HTTPError as exc:
        events.put(Failure(f"Connection to the agent service failed: {type(exc).__name__}.", "mcp_unavailable"))
    except Exception:
        logger.exception("Reading the agent stream of %s failed", payload["execution_id"])
        events.put(Failure("The worker could not read the agent service's stream.", "internal_error"))


_clients = {}


def _http_client():
    """One pooled client per process, owned by the background loop."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        config = settings.AGENTS
        headers = {"Accept": "text/event-stream"}
        if config["MCP_TOKEN"]:
            headers["Authorization"] = f"Bearer {config['MCP_TOKEN']}"
        timeout = httpx.Timeout(
            connect=config["MCP_CONNECT_TIMEOUT"], read=config["MCP_READ_TIMEOUT"], write=10.0, pool=10.0
        )
        client = _clients[loop] = httpx.AsyncClient(headers=headers, timeout=timeout, limits=httpx.Limits(max_connections=None))
    return client


# --- Stop requests from other processes -----------------------------------------------------

_runs = {}


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
                    execution_id = message["data"].decode()
                    active = _runs.get(execution_id)
                    if active is not None:
                        active.request_stop()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Stop listener lost Redis; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
                try:
                    await pubsub.subscribe(STOP_CHANNEL)
                except Exception:
                    pass


stop_listener = StopListener()
