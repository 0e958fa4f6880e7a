"""The worker's one client of the agent server, and its one taxonomy of errors.

Every call a worker makes to the agent server goes through here: the run
stream (``open_run_stream``, read by ``runs.worker.stream``) and the
knowledge API's plain calls (``index_document``, ``remove_document``, made
from Celery tasks). However a call fails, it fails as one
``AgentServerError`` subclass with a ``message`` fit for a person and the
``code`` an execution records:

============================  ======================  =================================
error                         code                    when
============================  ======================  =================================
``AgentServerUnavailable``    ``mcp_unavailable``     unreachable, connection lost, 5xx
``AgentServerTimeout``        ``mcp_timeout``         no answer in time (also retried)
``AgentServerUnauthorized``   ``mcp_unauthorized``    the shared token was refused
``AgentServerRejected``       the server's own code   a 4xx with the server's message
``AgentServerProtocolError``  ``mcp_protocol_error``  a malformed or cut-off answer
============================  ======================  =================================

``AgentServerUnavailable`` (and so ``AgentServerTimeout``) is worth a retry.
"""

import asyncio
import base64
import json
from contextlib import asynccontextmanager

import httpx
from django.conf import settings
from httpx_sse import SSEError, aconnect_sse


class AgentServerError(Exception):
    """A call to the agent server failed; ``message`` is fit for a person, ``code`` is stable."""

    code = "mcp_error"

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class AgentServerUnavailable(AgentServerError):
    """The agent server could not be reached or failed: worth a retry."""

    code = "mcp_unavailable"


class AgentServerTimeout(AgentServerUnavailable):
    code = "mcp_timeout"


class AgentServerUnauthorized(AgentServerError):
    code = "mcp_unauthorized"


class AgentServerRejected(AgentServerError):
    """The agent server refused the request itself (its message and code)."""

    code = "mcp_rejected"


class AgentServerProtocolError(AgentServerError):
    code = "mcp_protocol_error"


def auth_headers():
    token = settings.AGENTS["MCP_TOKEN"]
    return {"Authorization": f"Bearer {token}"} if token else {}


def error_for_response(status, body, rejected="Agent service rejected the run: {}"):
    """The error for an HTTP error answer (``body`` is its text: ``{"error": {"message", "code"}}``).

    ``rejected`` words a refusal around the server's own message.
    """
    try:
        error = json.loads(body)["error"]
        detail, code = error["message"], error.get("code")
    except (ValueError, KeyError, TypeError):
        detail, code = None, None
    if status in (401, 403):
        return AgentServerUnauthorized(f"Agent service refused the worker's credentials ({status}).")
    if status >= 500 or detail is None:
        return AgentServerUnavailable(f"Agent service unavailable ({status}).")
    return AgentServerRejected(rejected.format(detail), code)


def error_for_transport(exc):
    """The error for an exception raised by httpx while talking to the agent server."""
    if isinstance(exc, httpx.ConnectError):
        return AgentServerUnavailable(f"Agent service unreachable at {settings.AGENTS['MCP_URL']}.")
    if isinstance(exc, httpx.TimeoutException):
        return AgentServerTimeout("Agent service timed out.")
    return AgentServerUnavailable(f"Connection to the agent service failed: {type(exc).__name__}.")


# --- Runs: the SSE stream, on the worker's event loop -----------------------------------------


@asynccontextmanager
async def open_run_stream(payload):
    """POST /execute and yield its SSE event source; raises AgentServerError for an error answer.

    Closing the stream (leaving the block, or cancelling) cancels the run on
    the agent server.
    """
    try:
        async with aconnect_sse(_stream_client(), "POST", f"{settings.AGENTS['MCP_URL']}/execute", json=payload) as source:
            response = source.response
            if response.status_code >= 400:
                body = (await response.aread()).decode("utf-8", "replace")
                raise error_for_response(response.status_code, body)
            yield source
    except SSEError as exc:  # an httpx error too, but the server's fault, not the network's
        raise AgentServerProtocolError(f"Agent service sent a malformed stream: {exc}") from None
    except httpx.HTTPError as exc:
        raise error_for_transport(exc) from None


_stream_clients = {}


def _stream_client():
    """One pooled client per event loop (the worker has one), made on first use."""
    loop = asyncio.get_running_loop()
    client = _stream_clients.get(loop)
    if client is None:
        config = settings.AGENTS
        timeout = httpx.Timeout(
            connect=config["MCP_CONNECT_TIMEOUT"], read=config["MCP_READ_TIMEOUT"], write=10.0, pool=10.0
        )
        client = _stream_clients[loop] = httpx.AsyncClient(
            headers={"Accept": "text/event-stream", **auth_headers()},
            timeout=timeout,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
        )
    return client


# --- Knowledge: plain calls, from Celery tasks ------------------------------------------------------


def _call(method, path, **kwargs):
    config = settings.AGENTS
    timeout = httpx.Timeout(config["MCP_READ_TIMEOUT"], connect=config["MCP_CONNECT_TIMEOUT"])
    try:
        response = httpx.request(method, config["MCP_URL"] + path, headers=auth_headers(), timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        raise error_for_transport(exc) from None
    if response.status_code >= 400:
        # The server's message as it is: it is about the document, shown beside it.
        raise error_for_response(response.status_code, response.text, rejected="{}")
    return response


def index_document(document):
    """Send a document to the agent server's index; returns the number of passages."""
    response = _call(
        "PUT",
        f"/knowledge/{document.agent_id}/documents/{document.id}",
        json={
            "filename": document.filename,
            "content_type": document.content_type,
            "content_base64": base64.b64encode(bytes(document.content)).decode("ascii"),
        },
    )
    return response.json()["chunks"]


def remove_document(agent_id, document_id):
    _call("DELETE", f"/knowledge/{agent_id}/documents/{document_id}")
