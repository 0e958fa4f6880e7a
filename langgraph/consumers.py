"""The LangGraph API's long requests, on the api's event loop: run streams, waits, joins, cancels that wait.

* ``POST /lg/threads/{t}/runs/stream`` starts a run and streams it;
  ``GET /lg/threads/{t}/runs/{r}/stream`` joins one, resuming after
  ``Last-Event-ID`` (``langgraph.stream``). Both end once the run has (its
  execution's end, or the interrupt that ends its span) and say where to
  reconnect (``Location``) and which run it is (``Content-Location``),
  relative to the API's root as the clients expect.
* ``POST /lg/threads/{t}/runs/wait``, ``GET /lg/threads/{t}/runs/{r}/join``
  and ``POST /lg/threads/{t}/runs/{r}/cancel?wait=1`` answer the run's final
  values once it is over, with a newline now and then meanwhile (what
  LangGraph's server sends: the headers are out, a proxy sees the
  connection alive, and a JSON parser skips the whitespace).

Each follows its run through a ``realtime.feed.Feed`` (stored events, then
live ones, nothing lost or repeated), as ``realtime.sse`` does, so an open
request costs a coroutine and never one of the request threads.
Authentication is REST's (``x-api-key`` or ``Authorization: Token``);
errors are LangGraph's ``{"detail": ...}``.
"""

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from django.conf import settings

from contract.errors import PlatformError
from realtime import wire
from realtime.auth import user_for_scope
from realtime.feed import Feed
from realtime.lifetime import detach
from realtime.sse import SSE_HEADERS, EventStreamConsumer
from runs import services as runs_services
from runs.models import AgentExecution

from . import selectors, services
from .errors import lg_body
from .stream import ALL_MODES, BadEventId, RunFrames, parse_event_id

logger = logging.getLogger(__name__)

FALSE = ("", "0", "false", "False", "no")


@dataclass
class Plan:
    """What an admitted request follows, and from where."""

    run: object
    frames: RunFrames
    from_seq: int  # the first event to send
    skip: int = 0  # frames of that event the client has already
    with_metadata: bool = False
    cancel_on_disconnect: bool = False
    over: bool = False  # a wait: the run is over already


class LangGraphConsumer(EventStreamConsumer):
    """One long LangGraph request: read the body, admit it (a thread), then follow its run."""

    methods = ("GET",)
    plan = None
    finished = False

    async def http_request(self, message):
        self.body = getattr(self, "body", b"") + message.get("body", b"")
        if message.get("more_body") and len(self.body) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return
        try:
            if len(self.body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                raise PlatformError("The request body is too large.", "too_large", status=413)
            if self.scope["method"] not in self.methods:
                raise PlatformError(f"Method \"{self.scope['method']}\" not allowed.", "method_not_allowed", status=405)
            user = await database_sync_to_async(user_for_scope)(self.scope)
            if user is None:
                raise PlatformError("Authentication credentials were not provided.", "not_authenticated", status=401)
            self.feed = Feed(self.channel_layer, self.channel_name, self._send_event)
            self.plan = await database_sync_to_async(self.admit_request)(user, self.scope["url_route"]["kwargs"])
            # Joined before anything is read (see Feed), then checked again: a wait on a run that ended meanwhile.
            await self.feed.join(self.plan.frames.execution_id)
        except PlatformError as error:
            return await self._refuse(error)
        await self.start()

    def admit_request(self, user, kwargs):
        raise NotImplementedError

    async def start(self):
        raise NotImplementedError

    def query(self):
        return parse_qs(self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)

    def json_body(self):
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise PlatformError("The body is not valid JSON.", "invalid_json", status=422) from None
        if not isinstance(data, dict):
            raise PlatformError("The body must be a JSON object.", "invalid_json", status=422)
        return data

    def run_headers(self, run):
        path = f"/threads/{run.thread_id}/runs/{run.id}"
        return [(b"content-location", path.encode()), (b"location", f"{path}{self.location_suffix}".encode())]

    location_suffix = "/stream"

    async def _refuse(self, error):
        await self.send({"type": "http.response.start", "status": error.status,
                         "headers": [(b"content-type", b"application/json")]})
        await self.send({"type": "http.response.body", "body": json.dumps(lg_body(error)).encode()})
        raise StopConsumer()

    async def _finished(self, execution_id=None):
        self.finished = True
        await self.send({"type": "http.response.body", "body": self.closing_body(), "more_body": False})
        raise StopConsumer()

    def closing_body(self):
        return b""

    async def catch_up(self):
        await self.feed.catch_up()
        if not self.finished and not await database_sync_to_async(
            AgentExecution.objects.filter(id=self.plan.frames.execution_id).exists
        )():
            await self.run_gone()  # rolled back: it has no end to send

    async def run_gone(self):
        await self._finished()

    def start_heartbeat(self):
        self.last_sent = time.monotonic()
        self.heartbeat = asyncio.ensure_future(self._beat())

    def stop_work(self):
        super().stop_work()
        plan = self.plan
        if plan is not None and plan.cancel_on_disconnect and not self.finished:
            # The client asked for its run to end with its connection (on_disconnect: cancel).
            detach(database_sync_to_async(_cancel_left_run)(plan.run.execution_id))


def _cancel_left_run(execution_id):
    execution = AgentExecution.objects.filter(id=execution_id).first()
    if execution is not None:
        runs_services.stop_execution(execution)


def _frames(run, modes):
    execution = run.execution
    return RunFrames(
        run_id=str(run.id), thread_id=str(run.thread_id), execution_id=str(execution.id),
        assistant_id=str(execution.agent_id), graph_id=execution.agent.runtime, after_seq=run.after_seq,
        modes=tuple(modes or run.kwargs.get("stream_mode") or ALL_MODES),
    )


class RunStreamConsumer(LangGraphConsumer):
    """``POST /lg/threads/{t}/runs/stream`` (start and stream) and ``GET .../runs/{r}/stream`` (join)."""

    methods = ("POST", "GET")

    def admit_request(self, user, kwargs):
        if self.scope["method"] == "POST":
            run, request = services.create_run(user, kwargs["thread_id"], self.json_body())
            frames = _frames(run, request.get("stream_mode"))
            # Both the stream and the wait for its end: on_disconnect cancel stops the run with its connection.
            return Plan(run, frames, run.after_seq + 1, with_metadata=True,
                        cancel_on_disconnect=request.get("on_disconnect") == "cancel")
        run, _ = services.run_of(user, kwargs["thread_id"], kwargs["run_id"])
        query = self.query()
        modes = [mode for mode in query.get("stream_mode", []) if mode]
        frames = _frames(run, modes)
        try:
            point = parse_event_id(self.last_event_id(), run.after_seq)
        except BadEventId as error:
            raise PlatformError(str(error), "invalid_event_id", status=422) from None
        cancel = query.get("cancel_on_disconnect", ["false"])[-1] not in FALSE
        if point is None:
            return Plan(run, frames, run.after_seq + 1, with_metadata=True, cancel_on_disconnect=cancel)
        return Plan(run, frames, point[0], skip=point[1], cancel_on_disconnect=cancel)

    def last_event_id(self):
        value = dict(self.scope.get("headers") or []).get(b"last-event-id")
        return value.decode("latin-1").strip() if value else None

    async def start(self):
        plan = self.plan
        headers = [*SSE_HEADERS, *self.run_headers(plan.run)]
        await self.send({"type": "http.response.start", "status": 200, "headers": headers})
        if plan.with_metadata:
            (event, data), frame_id = plan.frames.metadata()
            await self._send_body(_frame(event, data, frame_id))
        else:
            await self._send_body(b": resumed\r\n\r\n")  # the headers leave now, as the stream opens
        past = await database_sync_to_async(selectors.tool_calls_before)(plan.frames.execution_id, plan.from_seq)
        plan.frames.prime(past)
        self.start_heartbeat()
        await self.feed.follow(plan.frames.execution_id, plan.from_seq - 1)

    async def _send_event(self, message):
        plan = self.plan
        frames = await plan.frames.frames(message)
        for index, (event, data) in enumerate(frames):
            if message["seq"] == plan.from_seq and index < plan.skip:
                continue
            frame_id = str(message["seq"]) if index == 0 else f"{message['seq']}.{index}"
            await self._send_body(_frame(event, data, frame_id))
        if plan.frames.ends_run(message):
            await self._finished()


def _frame(event, data, frame_id):
    return f"event: {event}\r\ndata: ".encode() + wire.dumps(data) + f"\r\nid: {frame_id}\r\n\r\n".encode()


class RunWaitConsumer(LangGraphConsumer):
    """``POST /lg/threads/{t}/runs/wait``, ``GET .../runs/{r}/join``, ``POST .../runs/{r}/cancel``: the final values."""

    methods = ("POST", "GET")
    location_suffix = "/join"
    kind = None  # "wait", "join" or "cancel"

    def admit_request(self, user, kwargs):
        if self.kind == "wait":
            run, request = services.create_run(user, kwargs["thread_id"], self.json_body())
            cancel_on_disconnect = request.get("on_disconnect") == "cancel"
        else:
            run, _ = services.run_of(user, kwargs["thread_id"], kwargs["run_id"])
            cancel_on_disconnect = False
        if self.kind == "cancel":
            query = self.query()
            action = query.get("action", ["interrupt"])[-1]
            if action not in ("interrupt", "rollback"):
                raise PlatformError("action must be interrupt or rollback.", "invalid_field", status=422)
            services.cancel_run(user, run, action)
            self.waits = query.get("wait", ["0"])[-1] not in FALSE
        return Plan(run, _frames(run, ()), run.after_seq + 1, cancel_on_disconnect=cancel_on_disconnect)

    async def start(self):
        if self.kind == "cancel" and not self.waits:
            await self.send({"type": "http.response.start", "status": 202, "headers": self.run_headers(self.plan.run)})
            self.finished = True
            await self.send({"type": "http.response.body", "body": b""})
            raise StopConsumer()
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                   *self.run_headers(self.plan.run)]
        await self.send({"type": "http.response.start", "status": 200, "headers": headers})
        over, last_seq = await database_sync_to_async(selectors.run_over)(self.plan.run)
        if over:
            return await self._finished()
        self.start_heartbeat()
        await self.feed.follow(self.plan.frames.execution_id, last_seq)

    async def _send_event(self, message):
        if self.plan.frames.ends_run(message):
            await self._finished()

    async def stream_heartbeat(self, message):
        await self._send_body(b"\n")
        await self.catch_up()

    async def _finished(self, execution_id=None):
        self.result = await database_sync_to_async(selectors.final_values)(self.plan.run)
        await super()._finished()

    async def run_gone(self):
        self.result = None
        self.finished = True
        await self.send({"type": "http.response.body", "body": b"null", "more_body": False})
        raise StopConsumer()

    def closing_body(self):
        return json.dumps(self.result, separators=(",", ":"), ensure_ascii=False).encode()


class WaitConsumer(RunWaitConsumer):
    methods = ("POST",)
    kind = "wait"


class JoinConsumer(RunWaitConsumer):
    methods = ("GET",)
    kind = "join"


class CancelConsumer(RunWaitConsumer):
    methods = ("POST",)
    kind = "cancel"

