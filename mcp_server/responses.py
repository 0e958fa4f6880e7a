"""HTTP responses of the MCP server: SSE streams, JSON run summaries, JSON errors.

Both run responses are plain ASGI callables rather than Starlette's
``StreamingResponse`` because they need what it does not combine: cancelling
the run the moment the client disconnects (in JSON mode too), keep-alive
pings only while a run is silent, and coalescing bursts of events into few
writes so one client can receive tens of thousands of events per second.

SSE wire format, one frame per event::

    event: <type>\\n
    data: <compact JSON>\\n
    \\n

and ``: ping\\n\\n`` comments after ``ping_interval`` seconds of silence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import aclosing
from typing import Any, TypeVar

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from mcp_server.events import ERROR, INTERRUPT, RESULT, Event

T = TypeVar("T")

PING_FRAME = b": ping\n\n"
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    # Proxies and browsers must neither cache nor buffer a live stream.
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


def error_response(
    status_code: int,
    message: str,
    code: str,
    *,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """``{"error": {"message", "code", "fields"?}}``, the shape of every error answer."""
    error: dict[str, Any] = {"message": message, "code": code}
    if fields:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status_code, headers=headers)


def encode_sse(event: Event) -> bytes:
    return f"event: {event.type}\ndata: {event.data_json}\n\n".encode()


class ClientDisconnected(Exception):
    """The client went away before the run finished."""


async def run_until_disconnect(receive: Receive, work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` and return its result, cancelling it if the client disconnects first.

    Raises ``ClientDisconnected`` if the client left. Returns only once both
    tasks have finished, so the run's cleanup (and its "cancelled" log line)
    is done by the time the caller moves on.
    """
    work_task = asyncio.ensure_future(work)
    disconnect_task = asyncio.ensure_future(_wait_for_disconnect(receive))
    try:
        await asyncio.wait((work_task, disconnect_task), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (work_task, disconnect_task):
            task.cancel()
        await asyncio.gather(work_task, disconnect_task, return_exceptions=True)
    if work_task.cancelled():
        raise ClientDisconnected()
    return work_task.result()


async def _wait_for_disconnect(receive: Receive) -> None:
    # The request body has been read by now, so the only message left to come is the disconnect.
    while (await receive())["type"] != "http.disconnect":
        pass


class Outbox:
    """SSE frames on their way to the client.

    The producer puts frames in one by one; the writer takes everything that
    has accumulated as one chunk. A burst of events (the run supervisor hands
    control back to the loop every few hundred events) thus leaves in one
    write instead of hundreds, and at most one write hits a connection that
    has just died. The producer waits while ``max_bytes`` are pending, so a
    slow client slows the run down instead of filling memory.
    """

    def __init__(self, max_bytes: int = 256 * 1024) -> None:
        self._frames: list[bytes] = []
        self._pending_bytes = 0
        self._max_bytes = max_bytes
        self._closed = False
        self._filled = asyncio.Event()
        self._drained = asyncio.Event()

    async def put(self, frame: bytes) -> None:
        while self._pending_bytes >= self._max_bytes:
            self._drained.clear()
            await self._drained.wait()
        self._frames.append(frame)
        self._pending_bytes += len(frame)
        self._filled.set()

    def close(self) -> None:
        """No more frames will come; ``take`` returns ``None`` once the rest is taken."""
        self._closed = True
        self._filled.set()

    async def take(self) -> bytes | None:
        """Wait for frames and return all of them as one chunk (cancellation-safe)."""
        while not self._frames:
            if self._closed:
                return None
            self._filled.clear()
            await self._filled.wait()
        chunk = b"".join(self._frames)
        self._frames.clear()
        self._pending_bytes = 0
        self._drained.set()
        return chunk


class EventStreamResponse:
    """Streams a run's events as SSE; a client disconnect cancels the run."""

    def __init__(self, run: AsyncIterator[Event], ping_interval: float) -> None:
        self._run = run
        self._ping_interval = ping_interval

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        try:
            await run_until_disconnect(receive, self._stream(send))
        except ClientDisconnected:
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _stream(self, send: Send) -> None:
        outbox = Outbox()
        # If either side fails, the group cancels the other and the error propagates.
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._produce(outbox))
            tasks.create_task(self._deliver(outbox, send))

    async def _produce(self, outbox: Outbox) -> None:
        try:
            async with aclosing(self._run) as run:
                async for event in run:
                    await outbox.put(encode_sse(event))
        finally:
            outbox.close()

    async def _deliver(self, outbox: Outbox, send: Send) -> None:
        while True:
            try:
                async with asyncio.timeout(self._ping_interval):
                    chunk = await outbox.take()
            except TimeoutError:
                chunk = PING_FRAME  # the run has been silent for a whole interval
            if chunk is None:
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


class RunSummaryResponse:
    """Waits for a run to end and answers with one JSON summary of it.

    ``{"status": "completed"|"failed"|"interrupted", "output": {...}|null,
    "events": [{"type", "data"}, ...], "error": {"message", "code"}|null}``,
    and ``"interrupt": {"kind", "payload", "state"}`` when the run waits for a
    person; ``events`` holds the agent events only, the terminal one is
    ``output``, ``interrupt`` or ``error``. A client disconnect cancels the run as in SSE mode.
    """

    def __init__(self, run: AsyncIterator[Event]) -> None:
        self._run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            summary = await run_until_disconnect(receive, summarize_run(self._run))
        except ClientDisconnected:
            return
        await JSONResponse(summary)(scope, receive, send)


async def summarize_run(run: AsyncIterator[Event]) -> dict[str, Any]:
    summary: dict[str, Any] = {"status": "failed", "output": None, "events": [], "error": None}
    async with aclosing(run) as events:
        async for event in events:
            if event.type == RESULT:
                summary.update(status="completed", output=event.data["output"])
            elif event.type == INTERRUPT:
                summary.update(status="interrupted", interrupt=event.data)
            elif event.type == ERROR:
                summary["error"] = event.data
            else:
                summary["events"].append(event.as_dict())
    return summary
