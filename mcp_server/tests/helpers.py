"""Building /execute requests and reading their answers in tests."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
from httpx_sse import connect_sse

SSE = {"Accept": "text/event-stream"}
JSON = {"Accept": "application/json"}

_execution_numbers = itertools.count(1)


def execute_body(config: dict[str, Any] | None = None, *, runtime: str = "synthetic", **overrides: Any) -> dict:
    """A valid /execute body for ``runtime`` with ``config``; ``overrides`` replace top-level keys."""
    body = {
        "execution_id": f"test-{next(_execution_numbers)}",
        "agent": {"id": "agent-1", "name": "Test agent", "runtime": runtime, "config": config or {}},
        "input_data": {"prompt": "hello"},
    }
    body.update(overrides)
    return body


def stream_events(client: httpx.Client, body: dict, headers: dict | None = None) -> list[tuple[str, dict]]:
    """Run ``body`` in SSE mode and return every event as ``(type, data)``."""
    with connect_sse(client, "POST", "/execute", json=body, headers=dict(headers or {})) as source:
        source.response.raise_for_status()
        return [(event.event, json.loads(event.data)) for event in source.iter_sse()]


def health(client: httpx.Client) -> dict:
    response = client.get("/health")
    response.raise_for_status()
    return response.json()
