"""Helpers shared by the integration tests of every component.

Nothing here imports Django or pytest, so any test suite (or a benchmark
script) can use it. See ``testsupport.processes``.
"""

from testsupport.openai_stub import OpenAIStub
from testsupport.processes import (
    LOOPBACK,
    REPO_ROOT,
    ManagedProcess,
    listening_ports,
    McpServerProcess,
    ProcessStartError,
    free_port,
    http_ready,
    start_mcp_server,
    wait_until,
)

__all__ = [
    "LOOPBACK",
    "REPO_ROOT",
    "ManagedProcess",
    "listening_ports",
    "McpServerProcess",
    "OpenAIStub",
    "ProcessStartError",
    "free_port",
    "http_ready",
    "start_mcp_server",
    "wait_until",
]
