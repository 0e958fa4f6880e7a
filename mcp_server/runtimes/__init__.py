"""Registry of the agent runtimes this server can run.

To add a runtime, write a ``Runtime`` subclass in its own module (see
``base.py`` for the contract), add an instance of it to ``_RUNTIMES`` and run
``python -m mcp_server catalog`` to export ``contract/runtimes.json``, the
catalog the platform reads instead of importing this package. One instance
serves every run, so runtimes keep per-run state local to ``run``.

Importing this package must stay cheap (the catalog exporter and, until it
reads the catalog, the api process import it): runtimes load models and heavy
libraries only inside ``run`` (through ``request.services``), never at import
time.
"""

from __future__ import annotations

from contract.runtimes import UnknownRuntime
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


def get_runtime(name: str) -> Runtime:
    try:
        return _RUNTIMES[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name
        # The registry's names, not the exported catalog's, which may be stale here.
        raise UnknownRuntime(name, runtime_names()) from None


def runtime_names() -> list[str]:
    return sorted(_RUNTIMES)
