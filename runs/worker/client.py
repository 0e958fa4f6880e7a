"""The worker's run stream from the agent server, on the errors of ``runs.agent_server``.

``open_run_stream`` (read by ``runs.worker.stream``) is the one call only a
worker makes. The plain calls (the knowledge API) and the one taxonomy of
errors live in ``runs.agent_server``, which the api imports too; they are
named here as well, so a worker's code reaches every call and error of the
agent server through this module.
"""

import asyncio
import json
from contextlib import asynccontextmanager

import aiohttp
from django.conf import settings

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

from .sse import EventStreamParser

# --- Runs: the SSE stream, on the worker's event loop -----------------------------------------
#
# aiohttp rather than httpx here: every event of every run is read through
# this, and aiohttp parses HTTP (the chunked body included) in C, where
# httpx's h11 does it in Python; with hundreds of runs at a few events a
# second each, reading was most of the worker's CPU (docs/performance.md).


class RunStream:
    """The events of one run's stream, as ``ServerSentEvent``s."""

    def __init__(self, response):
        self.response = response

    async def aiter_sse(self):
        parser = EventStreamParser()
        async for chunk in self.response.content.iter_any():
            for event in parser.feed(chunk):
                yield event


@asynccontextmanager
async def open_run_stream(payload):
    """POST /execute and yield its ``RunStream``; raises AgentServerError for an error answer.

    Closing the stream (leaving the block, or cancelling) cancels the run on
    the agent server.
    """
    url = f"{settings.AGENTS['MCP_URL']}/execute"
    try:
        async with _stream_session().post(url, data=json.dumps(payload), headers=STREAM_HEADERS) as response:
            if response.status >= 400:
                body = (await response.read()).decode("utf-8", "replace")
                raise error_for_response(response.status, body)
            if response.content_type != "text/event-stream":
                raise AgentServerProtocolError(
                    f"Agent service sent a malformed stream: expected text/event-stream, got {response.content_type!r}"
                )
            yield RunStream(response)
    except (aiohttp.ClientError, TimeoutError) as exc:  # aiohttp's timeouts are TimeoutErrors
        raise error_for_transport(exc, unreachable=aiohttp.ClientConnectorError, timeouts=TimeoutError) from None


STREAM_HEADERS = {"Accept": "text/event-stream", "Content-Type": "application/json"}
_stream_sessions = {}


def _stream_session():
    """One pooled session per event loop (the worker has one), made on first use."""
    loop = asyncio.get_running_loop()
    session = _stream_sessions.get(loop)
    if session is None:
        config = settings.AGENTS
        session = _stream_sessions[loop] = aiohttp.ClientSession(
            headers=auth_headers(),
            # No total: a run streams as long as it runs. A read waits at most MCP_READ_TIMEOUT
            # (the agent server pings a silent run well within it).
            timeout=aiohttp.ClientTimeout(
                total=None, connect=config["MCP_CONNECT_TIMEOUT"], sock_read=config["MCP_READ_TIMEOUT"]
            ),
            # No cap on connections: each run holds one for its whole stream.
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=30),
            # The agent server's address comes from settings, never from the environment's proxies.
            trust_env=False,
        )
    return session
