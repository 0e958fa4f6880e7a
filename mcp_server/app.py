"""The MCP agent server's ASGI application: routes, admission of runs, auth.

``GET /health``
    ``{"status": "ok", "runtimes": [...], "active_runs": n}``; never needs a token.
``POST /execute``
    Runs an agent. ``Accept: text/event-stream`` streams the run as SSE;
    anything else gets one JSON summary when the run ends (see
    ``mcp_server.responses``). A request that cannot run is answered with
    400 ``{"error": {"message", "code", "fields"?}}`` before anything starts.
``/knowledge/...``
    Each agent's knowledge base (see ``mcp_server.knowledge_api``).

Every request is checked by ``RequestGuard`` before routing: its ``Host``
must be one of ``MCP_ALLOWED_HOSTS`` (else 400 ``invalid_host``: a web page
cannot reach this server by DNS rebinding), a body must be JSON (else 415
``unsupported_media_type``: no form or ``text/plain`` post a browser sends
without asking), and, except for ``/health``, ``Authorization: Bearer
<token>`` must carry ``MCP_AGENT_TOKEN`` (else 401 ``unauthorized``).
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server import knowledge_api
from mcp_server.protocol import (
    INVALID_CONFIG,
    MAX_REQUEST_BYTES,
    UNKNOWN_RUNTIME,
    BadRequest,
    BodyTooLarge,
    RunRequest,
    parse_run_request,
    read_limited,
)
from mcp_server.responses import EventStreamResponse, RunSummaryResponse, error_response
from mcp_server.runs import ActiveRuns, execute_run
from mcp_server.runtimes import ConfigError, Runtime, UnknownRuntime, get_runtime, runtime_names
from mcp_server.services import Services
from mcp_server.settings import Settings

OPEN_ROUTES = {("GET", "/health"), ("HEAD", "/health")}


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    services = services or Services(settings)
    active_runs = ActiveRuns()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await services.aclose()

    middleware = [Middleware(RequestGuard, token=settings.agent_token, hosts=allowed_hosts(settings))]
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/execute", execute, methods=["POST"]),
            *knowledge_api.routes,
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Exception: internal_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = services
    app.state.active_runs = active_runs
    return app


async def health(request: Request) -> Response:
    return JSONResponse(
        {
            "status": "ok",
            "runtimes": runtime_names(),
            "active_runs": request.app.state.active_runs.count,
        }
    )


async def execute(request: Request) -> Response:
    try:
        body = await read_limited(request.stream(), MAX_REQUEST_BYTES)
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is left to read it
    except BodyTooLarge as rejection:
        return error_response(rejection.status, rejection.message, rejection.code)
    try:
        runtime, run_request = admit(body, request.app.state.services)
    except BadRequest as rejection:
        return error_response(400, rejection.message, rejection.code, fields=rejection.fields)

    run = execute_run(runtime, run_request, request.app.state.active_runs)
    if wants_event_stream(request.headers.get("accept", "")):
        return EventStreamResponse(run, ping_interval=request.app.state.settings.ping_interval)
    return RunSummaryResponse(run)


def admit(body: bytes, services: Services) -> tuple[Runtime, RunRequest]:
    """Turn a request body into a runtime and a request with its normalized config."""
    run_request = parse_run_request(body)
    agent = run_request.agent
    try:
        runtime = get_runtime(agent.runtime)
    except UnknownRuntime as error:
        raise BadRequest(str(error), UNKNOWN_RUNTIME, {"agent.runtime": str(error)}) from None
    try:
        config = runtime.check_config(agent.config)
    except ConfigError as error:
        fields = {f"agent.config.{option}": problem for option, problem in error.fields.items()}
        raise BadRequest(error.message, INVALID_CONFIG, fields) from None
    return runtime, replace(run_request, agent=replace(agent, config=config), services=services)


def wants_event_stream(accept: str) -> bool:
    return "text/event-stream" in accept.lower()


async def http_error(request: Request, exc: HTTPException) -> Response:
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(
        exc.status_code, exc.detail, codes.get(exc.status_code, "http_error"), headers=exc.headers
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the exception afterwards and uvicorn logs its
    # traceback; the client gets no internals.
    return error_response(500, "Internal server error.", "internal_error")


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """The configured host names, plus the address the server was bound to when it names one."""
    hosts = set(settings.allowed_hosts)
    if settings.host not in ("0.0.0.0", "::"):
        hosts.add(settings.host.lower())
    return frozenset(hosts)


def host_name(header: bytes) -> str:
    """``Host`` without its port, lower-cased; IPv6 literals lose their brackets."""
    host = header.decode("latin-1").strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


class RequestGuard:
    """Refuses, before any route runs: a foreign ``Host``, a body that is not JSON,
    and (except the open routes) a missing or wrong bearer token when one is set."""

    BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

    def __init__(self, app: ASGIApp, token: str | None, hosts: frozenset[str]) -> None:
        self._app = app
        self._token = token.encode() if token else None
        self._hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        response = self._refusal(scope)
        if response is None:
            await self._app(scope, receive, send)
        else:
            await response(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = dict(scope["headers"])
        if "*" not in self._hosts and host_name(headers.get(b"host", b"")) not in self._hosts:
            return error_response(400, "This server does not answer for that Host.", "invalid_host")
        if scope["method"] in self.BODY_METHODS and not _is_json(headers.get(b"content-type", b"")):
            return error_response(415, "Send the body as application/json.", "unsupported_media_type")
        if self._token is None or (scope["method"], scope["path"]) in OPEN_ROUTES:
            return None
        provided = headers.get(b"authorization")
        if provided is not None and self._is_valid(provided):
            return None
        message = (
            "Missing bearer token: send 'Authorization: Bearer <token>'."
            if provided is None
            else "Invalid bearer token."
        )
        return error_response(401, message, "unauthorized", headers={"WWW-Authenticate": "Bearer"})

    def _is_valid(self, authorization: bytes) -> bool:
        scheme, _, credentials = authorization.partition(b" ")
        # compare_digest so the time taken does not reveal how much of a guess was right.
        return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self._token)


def _is_json(content_type: bytes) -> bool:
    media_type = content_type.partition(b";")[0].strip().lower()
    return media_type == b"application/json"
