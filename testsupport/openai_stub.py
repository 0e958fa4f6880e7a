"""A stand-in for an OpenAI-compatible LLM server, on 127.0.0.1, playing scripted replies.

It is the network edge the platform does not own, so tests put this in its
place instead of mocking the provider code: the agent server's ``openai``
provider talks real HTTP and real SSE to it. Each ``POST
/v1/chat/completions`` is recorded in ``requests`` (its JSON body and
headers) and answered with the next scripted reply, or ``text("ok")`` when
none is left::

    with OpenAIStub() as stub:
        stub.script(text("Hello", " world"), tool_calls(("calculator", {"expression": "1+1"})))
        ...  # point OPENAI_BASE_URL at stub.base_url

Replies: ``text(*deltas)``, ``truncated(*deltas)`` (cut at max_tokens:
finish reason ``length``), ``tool_calls(*(name, arguments))``,
``http_error(status, message)``, ``dropped(*deltas)`` (the connection breaks
off after those deltas) and ``stalled(seconds, *deltas)`` (silence first).
A request with ``stream_options.include_usage`` gets the usage chunk real
servers send last: ``prompt_tokens`` the words of its messages,
``completion_tokens`` one per delta and tool call.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from testsupport.processes import LOOPBACK


@dataclass(frozen=True)
class Reply:
    deltas: tuple[str, ...] = ()
    calls: tuple[tuple[str, Any], ...] = ()
    status: int = 200
    error_message: str = ""
    drop: bool = False
    stall_seconds: float = 0.0
    finish_reason: str | None = None


def text(*deltas: str) -> Reply:
    return Reply(deltas=deltas)


def truncated(*deltas: str) -> Reply:
    return Reply(deltas=deltas, finish_reason="length")


def tool_calls(*calls: tuple[str, Any]) -> Reply:
    """Tool calls ``(name, arguments)``; a dict is sent as JSON, a string as is (to send broken JSON)."""
    return Reply(calls=calls)


def http_error(status: int, message: str = "") -> Reply:
    return Reply(status=status, error_message=message)


def dropped(*deltas: str) -> Reply:
    return Reply(deltas=deltas, drop=True)


def stalled(seconds: float, *deltas: str) -> Reply:
    return Reply(deltas=deltas, stall_seconds=seconds)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) is expected, not a failure of the stub.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class OpenAIStub:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer((LOOPBACK, 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        """Replace the queue of replies with these."""
        with self._lock:
            self._replies = deque(replies)

    def reset(self) -> None:
        with self._lock:
            self._replies.clear()
            self.requests.clear()

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_reply(self, body: dict, headers: dict) -> Reply:
        with self._lock:
            self.requests.append({"body": body, "headers": headers})
            return self._replies.popleft() if self._replies else text("ok")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass  # keep test output clean

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                reply = stub._next_reply(body, dict(self.headers))
                if reply.stall_seconds and stub._stopping.wait(reply.stall_seconds):
                    return
                if reply.status != 200:
                    self._send_error(reply)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in _chunks(reply, body):
                    self._write_chunk(f"data: {json.dumps(chunk)}\n\n".encode())
                if reply.drop:
                    # No [DONE], no terminating chunk: as if the server died.
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self._write_chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")

            def _write_chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _send_error(self, reply: Reply) -> None:
                payload = json.dumps({"error": {"message": reply.error_message, "type": "stub_error"}}).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _chunks(reply: Reply, body: dict[str, Any]) -> list[dict[str, Any]]:
    model = body.get("model", "stub-model")

    def chunk(delta: dict, finish_reason: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": delta}) for delta in reply.deltas]
    for index, (name, arguments) in enumerate(reply.calls):
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        half = len(raw) // 2
        # Split like real servers do: the name first, the arguments in pieces.
        chunks.append(chunk({"tool_calls": [{"index": index, "id": f"call_{index}", "type": "function",
                                             "function": {"name": name, "arguments": raw[:half]}}]}))
        chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": raw[half:]}}]}))
    if reply.drop:
        return chunks
    chunks.append(chunk({}, reply.finish_reason or ("tool_calls" if reply.calls else "stop")))
    if (body.get("stream_options") or {}).get("include_usage"):
        words = sum(len(str(message.get("content") or "").split()) for message in body.get("messages", []))
        written = len(reply.deltas) + len(reply.calls)
        chunks.append({"id": "chatcmpl-stub", "object": "chat.completion.chunk", "model": model, "choices": [],
                       "usage": {"prompt_tokens": words, "completion_tokens": written,
                                 "total_tokens": words + written}})
    return chunks
