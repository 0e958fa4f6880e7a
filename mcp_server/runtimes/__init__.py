"""Registry of the agent runtimes this server can run.

To add a runtime, write a ``Runtime`` subclass in its own module (see
``base.py`` for the contract) and add an instance of it to ``_RUNTIMES``.
One instance serves every run, so runtimes keep per-run state local to ``run``.

The api process imports this package to validate agent configs, so importing
it must stay cheap: runtimes load models and heavy libraries only inside
``run`` (through ``request.services``), never at import time.
"""

from __future__ import annotations

from mcp_server.runtimes.base import ConfigError, Runtime
from mcp_server.runtimes.chat import ChatRuntime
from mcp_server.runtimes.rag import RagRuntime
from mcp_server.runtimes.synthetic import SyntheticRuntime
from mcp_server.runtimes.tools import ToolsRuntime

__all__ = ["ConfigError", "Runtime", "UnknownRuntime", "get_runtime", "runtime_names"]

_RUNTIMES: dict[str, Runtime] = {
    runtime.name: runtime
    for runtime in (
        ChatRuntime(),
        RagRuntime(),
        SyntheticRuntime(),
        ToolsRuntime(),
    )
}


class UnknownRuntime(LookupError):
    """No runtime is registered under the requested name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown runtime {name!r}. Available runtimes: {', '.join(runtime_names())}.")
        self.name = name


def get_runtime(name: str) -> Runtime:
    try:
        return _RUNTIMES[name]
    except KeyError:
        raise UnknownRuntime(name) from None


def runtime_names() -> list[str]:
    return sorted(_RUNTIMES)
