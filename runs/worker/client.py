"""The worker's run stream from the agent server, on the errors of ``runs.agent_server``.

``open_run_stream`` (read by ``runs.worker.stream``) is the one call only a
worker makes. The plain calls (the knowledge API) and the one taxonomy of
errors live in ``runs.agent_server``, which the api imports too; they are
named here as well, so a worker's code reaches every call and error of the
agent server through this module.
"""

import asyncio
from contextlib import asynccontextmanager

import httpx
from django.conf import settings
from httpx_sse import SSEError, aconnect_sse

from runs.agent_server import (  # noqa: F401
    AgentServerError,
    AgentServerProtocolError,
    AgentServerRejected,
    AgentServerTimeout,
    AgentServerUnauthorized,
    AgentServerUnavailable,
    auth_headers,
    error_for_response,
    error_for_transport,
    index_document,
    remove_document,
    search_knowledge,
)

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
