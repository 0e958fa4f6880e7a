"""The runtime catalog: what the agent server can run, without asking it.

``runtimes.json`` beside this module is exported by the agent server, which
owns the runtimes (``python -m mcp_server catalog``; a test there fails when
the file is stale). Each entry is ``{"name", "description", "config_schema",
"input_schema", "input_example"}``, sorted by name. The platform reads it
here to list runtimes and check agent configs and inputs without importing
``mcp_server``, so this module must never import it.

The file is read once, on first use, and each runtime's validators are
compiled once; callers get copies, so they cannot change the catalog.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

from contract.config import SchemaValidator, validate_config, validate_input
from contract.errors import PlatformError

CATALOG_FILE = "runtimes.json"
# The input keys an LLM runtime takes its new message from, in the order it looks.
MESSAGE_KEYS = ("message", "question", "prompt", "query", "input", "text")


class UnknownRuntime(PlatformError, LookupError):
    """No runtime is registered under the requested name."""

    code = "unknown_runtime"

    def __init__(self, name: str, available: list[str] | None = None) -> None:
        available = runtime_names() if available is None else available
        message = f"Unknown runtime {name!r}. Available runtimes: {', '.join(available)}."
        super().__init__(message, fields={"runtime": message})
        self.name = name


def runtime_catalog() -> list[dict[str, Any]]:
    """Every runtime's entry, sorted by name."""
    return copy.deepcopy(list(_entries().values()))


def runtime_names() -> list[str]:
    return list(_entries())


def get_entry(name: str) -> dict[str, Any]:
    """One runtime's entry; raises ``UnknownRuntime``."""
    return copy.deepcopy(_entry(name))


def takes_memory(name: str) -> bool:
    """Whether the runtime's input has ``memory`` (its owner's items, for the model)."""
    entry = _entries().get(name) if isinstance(name, str) else None
    return entry is not None and "memory" in entry["input_schema"].get("properties", {})


def user_message(input_data: dict[str, Any]) -> str | None:
    """The new message in an LLM runtime's ``input_data`` (under one of ``MESSAGE_KEYS``), or None."""
    for key in MESSAGE_KEYS:
        value = input_data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def check_config(runtime_name: str, config: Any) -> dict[str, Any]:
    """The normalized config (defaults filled in); raises ``UnknownRuntime`` or ``ConfigError``."""
    config_validator, _ = _validators(_entry(runtime_name)["name"])
    return validate_config(config_validator, config, runtime_name)


def check_input(runtime_name: str, input_data: Any) -> dict[str, Any]:
    """``input_data`` if it matches the runtime's ``input_schema``; raises ``UnknownRuntime`` or ``InputError``."""
    _, input_validator = _validators(_entry(runtime_name)["name"])
    return validate_input(input_validator, input_data, runtime_name)


@functools.cache
def _entries() -> dict[str, dict[str, Any]]:
    text = resources.files(__package__).joinpath(CATALOG_FILE).read_text(encoding="utf-8")
    return {entry["name"]: entry for entry in sorted(json.loads(text), key=lambda entry: entry["name"])}


def _entry(name: Any) -> dict[str, Any]:
    # The name may come straight from untrusted JSON: a list is not a name either.
    entry = _entries().get(name) if isinstance(name, str) else None
    if entry is None:
        raise UnknownRuntime(name)
    return entry


@functools.cache
def _validators(name: str) -> tuple[SchemaValidator, SchemaValidator]:
    # The agent server checked these schemas when it exported them; no need to again.
    entry = _entries()[name]
    return SchemaValidator(entry["config_schema"]), SchemaValidator(entry["input_schema"])
