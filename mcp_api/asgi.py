"""``/mcp`` in the api process: the ASGI glue between daphne and the MCP SDK's session manager.

In order, for every request:

1. A browser's ``Origin`` must be one of ``ALLOWED_HOSTS`` (MCP asks servers
   to check it against DNS rebinding); programs send none and pass.
2. The caller authenticates with their DRF token, ``Authorization: Bearer
   <token>`` (what MCP clients send) or ``Authorization: Token <token>`` (what
   REST takes); otherwise 401 as JSON with ``WWW-Authenticate``. The user goes
   into the scope for the handlers (``mcp_api.server``).
3. A POST body is read here (bounded like the SDK's) and checked for JSON
   nested past ``config.limits``. A ``notifications/cancelled`` in it stops the
   cancelled call's execution before the SDK acknowledges it: served
   statelessly, the SDK would read it on a connection of its own that knows
   no call of that id, and drop it. A ``tools/call`` is remembered in Redis
   before the SDK sees it, so a cancellation finds it however early it
   comes, and until its request ends; a call whose client left before its
   answer was complete is cancelled then, on every protocol version
   (``mcp_api.services`` has the design).
4. The SDK's ``StreamableHTTPSessionManager`` (stateless, SSE responses so
   progress can stream) answers.

Starting the session manager. Its ``run()`` holds the task group every MCP
request is served in and must be entered and left by one task that outlives
them all; the SDK expects an ASGI lifespan to do that, and daphne runs no
lifespan. A request's own task will not do either: it ends with its response
(``config.http.FreshContext`` gives each request a task of its own), and the
task group would die with the first request. So the first request starts one
long-lived task on daphne's loop (in an empty context, so it carries nothing
of that request) that enters ``run()`` and stays inside it for the life of
the process; every request waits until it is in. A manager runs once only:
if that task ever ends, the next request starts a fresh manager.
"""

import asyncio
import contextvars
import json
import logging
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import validate_host
from mcp.server.streamable_http_manager import DEFAULT_MAX_REQUEST_BODY_SIZE, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from agents.tokens import user_for_key
from config.limits import TooDeep, parse_json

from . import services
from .server import CALL_SCOPE_KEY, USER_SCOPE_KEY, create_server

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = DEFAULT_MAX_REQUEST_BODY_SIZE
AUTH_SCHEMES = {"bearer", "token"}


class McpApplication:
    """The ASGI application routed at ``/mcp`` (``config/asgi.py``)."""

    def __init__(self):
        self.server = create_server()
        self._manager = self._runner = self._ready = self._loop = None
        self._closing = set()

    async def __call__(self, scope, receive, send):
        if not self._origin_allowed(scope):
            return await _json(send, 403, {"detail": "Origin not allowed.", "code": "origin_not_allowed"})
        user, problem = await self._authenticate(scope)
        if user is None:
            return await _json(
                send, 401, {"detail": problem, "code": "not_authenticated"}, [(b"www-authenticate", b"Bearer")]
            )
        scope = {**scope, USER_SCOPE_KEY: user}
        call = None
        if scope["method"] == "POST":
            body = await _read_body(receive)
            if body is None:
                return await _json_rpc_error(send, 413, -32600, "Request body too large.")
            try:
                message = parse_json(body) if body.strip() else None
            except TooDeep as error:
                return await _json_rpc_error(send, 400, -32700, str(error))
            except ValueError:
                message = None  # the SDK answers a parse error in the protocol's words
            session_id = _header(scope, b"mcp-session-id")
            for request_id in cancelled_request_ids(message):
                await services.cancel_request(user, session_id, request_id)
            request_id = called_request_id(message)
            if request_id is not None:
                call = services.CallKey(user.id, session_id, request_id)
                await services.open_call(call)
                scope[CALL_SCOPE_KEY] = call
            receive = _replaying(body, receive)
        if call is None:
            manager = await self._running_manager()
            return await manager.handle_request(scope, receive, send)
        answer = _Answer(send)
        try:
            manager = await self._running_manager()
            await manager.handle_request(scope, receive, answer.send)
        finally:
            # The request is over: its answer is complete, or the client left
            # (the stream closed, or daphne cancelled the request it gave up
            # on). Not every version's handler hears of a client leaving, so
            # an abandoned call is cancelled here. In a task of its own,
            # shielded: a cancelled request must still close its call.
            closing = asyncio.ensure_future(services.close_call(call, abandoned=not answer.complete))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
            await asyncio.shield(closing)

    # --- The session manager, started on first use (module docstring) ----------------------

    async def _running_manager(self):
        loop = asyncio.get_running_loop()
        if self._runner is None or self._runner.done() or self._loop is not loop:
            self._loop, self._ready = loop, asyncio.Event()
            self._manager = StreamableHTTPSessionManager(
                app=self.server,
                stateless=True,
                # Origin and Host are checked above, against the api's own ALLOWED_HOSTS.
                security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            )
            self._runner = loop.create_task(
                self._serve(self._manager, self._ready), name="mcp-session-manager", context=contextvars.Context()
            )
        manager, ready, runner = self._manager, self._ready, self._runner
        if not ready.is_set():
            waiting = asyncio.ensure_future(ready.wait())
            await asyncio.wait({waiting, runner}, return_when=asyncio.FIRST_COMPLETED)
            if not ready.is_set():
                waiting.cancel()
                raise RuntimeError("The MCP session manager did not start; see the log.")
        return manager

    @staticmethod
    async def _serve(manager, ready):
        try:
            async with manager.run():
                ready.set()
                await asyncio.Event().wait()  # for as long as the process serves
        except Exception:
            logger.exception("The MCP session manager stopped")

    # --- Checks ----------------------------------------------------------------------------------

    @staticmethod
    def _origin_allowed(scope):
        origin = _header(scope, b"origin")
        if not origin:
            return True
        host = urlsplit(origin).hostname
        return host is not None and validate_host(host, settings.ALLOWED_HOSTS)

    @staticmethod
    async def _authenticate(scope):
        authorization = _header(scope, b"authorization")
        if not authorization:
            return None, "Authentication credentials were not provided: send 'Authorization: Bearer <token>'."
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() not in AUTH_SCHEMES:
            return None, "Unsupported authorization scheme: send 'Authorization: Bearer <token>'."
        user = await database_sync_to_async(user_for_key)(key.strip())
        return (user, None) if user is not None else (None, "Invalid token.")


def cancelled_request_ids(message):
    """The request ids that a JSON-RPC message (or a batch, before 2025-06-18) cancels."""
    ids = []
    for item in message if isinstance(message, list) else [message]:
        if isinstance(item, dict) and item.get("method") == "notifications/cancelled" and "id" not in item:
            params = item.get("params")
            request_id = params.get("requestId") if isinstance(params, dict) else None
            if isinstance(request_id, str | int) and not isinstance(request_id, bool):
                ids.append(request_id)
    return ids


def called_request_id(message):
    """The id of a ``tools/call`` request, or None for any other message."""
    if isinstance(message, dict) and message.get("method") == "tools/call":
        request_id = message.get("id")
        if isinstance(request_id, str | int) and not isinstance(request_id, bool):
            return request_id
    return None


def _header(scope, name):
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


async def _read_body(receive):
    """The whole request body, or None past ``MAX_BODY_BYTES``."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left; the SDK sees an empty body and the disconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replaying(body, receive):
    """A ``receive`` that hands the SDK the body read here, then whatever the client sends next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay():
        if pending:
            return pending.pop()
        return await receive()

    return replay


class _Answer:
    """Wraps ``send`` to tell whether the answer was sent to its end (its last body message)."""

    def __init__(self, send):
        self._send = send
        self.complete = False

    async def send(self, message):
        await self._send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.complete = True


async def _json(send, status, body, headers=()):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


async def _json_rpc_error(send, status, code, message):
    await _json(send, status, {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}})


application = McpApplication()
