"""Fixtures: a real MCP server process (open and token-guarded) and clients for it.

The servers are started once per test session with ``testsupport``, on a free
loopback port, with a short ping interval so keep-alive pings can be observed
without slowing the suite down.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from testsupport import McpServerProcess, start_mcp_server

AGENT_TOKEN = "test-token-0123456789"
PING_INTERVAL = 0.2

# A developer's exported settings must not change what the tests see.
BASE_ENV = {"MCP_AGENT_TOKEN": None, "MCP_PING_INTERVAL": str(PING_INTERVAL), "MCP_LOG_LEVEL": "INFO"}


@pytest.fixture(scope="session")
def mcp_server() -> Iterator[McpServerProcess]:
    with start_mcp_server(env=BASE_ENV) as server:
        yield server


@pytest.fixture(scope="session")
def guarded_mcp_server() -> Iterator[McpServerProcess]:
    with start_mcp_server(env={**BASE_ENV, "MCP_AGENT_TOKEN": AGENT_TOKEN}) as server:
        yield server


@pytest.fixture
def client(mcp_server: McpServerProcess) -> Iterator[httpx.Client]:
    with loopback_client(mcp_server.url) as client:
        yield client


@pytest.fixture
def guarded_client(guarded_mcp_server: McpServerProcess) -> Iterator[httpx.Client]:
    with loopback_client(guarded_mcp_server.url) as client:
        yield client


def loopback_client(base_url: str) -> httpx.Client:
    # trust_env=False: an HTTP(S)_PROXY in the environment must not capture loopback traffic.
    return httpx.Client(base_url=base_url, trust_env=False, timeout=10)
