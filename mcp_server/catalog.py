"""Exporting the runtime catalog, ``contract/runtimes.json``, from the registered runtimes.

The agent server owns its runtimes; the platform reads their names, schemas
and examples from the exported file (``contract.runtimes``) so that it never
imports this package. The file is generated, never edited by hand:

    python -m mcp_server catalog           # write it
    python -m mcp_server catalog --check   # exit 1 if it is stale

The output is deterministic (sorted keys, two-space indent, a final newline)
so the committed file changes only when a runtime does, and a test fails
when someone changes a runtime without exporting again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import contract
from mcp_server.runtimes import get_runtime, runtime_names

CATALOG_PATH = Path(contract.__file__).with_name("runtimes.json")
REGENERATE = "Run `python -m mcp_server catalog` and commit contract/runtimes.json."


def runtime_catalog() -> list[dict[str, Any]]:
    """One entry per registered runtime, sorted by name."""
    catalog = []
    for name in runtime_names():
        runtime = get_runtime(name)
        catalog.append(
            {
                "name": runtime.name,
                "description": runtime.description,
                "config_schema": runtime.config_schema,
                "input_schema": runtime.input_schema,
                "input_example": runtime.input_example,
            }
        )
    return catalog


def render_catalog() -> str:
    return json.dumps(runtime_catalog(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def is_current(path: Path = CATALOG_PATH) -> bool:
    try:
        return path.read_text(encoding="utf-8") == render_catalog()
    except FileNotFoundError:
        return False


def export(path: Path = CATALOG_PATH, *, check: bool = False) -> int:
    """Write the catalog to ``path``, or with ``check`` only compare; returns an exit status."""
    if check:
        if is_current(path):
            return 0
        print(f"mcp_server: {path} is stale or missing. {REGENERATE}", file=sys.stderr)
        return 1
    path.write_text(render_catalog(), encoding="utf-8")
    print(f"mcp_server: wrote {len(runtime_names())} runtimes to {path}", file=sys.stderr)
    return 0
