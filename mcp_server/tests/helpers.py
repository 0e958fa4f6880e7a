"""Building /execute requests and reading their answers in tests; running runtimes in process."""

from __future__ import annotations

import itertools
import json
from typing import Any
from unittest.mock import ANY

import httpx
from httpx_sse import connect_sse

from mcp_server import runs
from mcp_server.protocol import Resume

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


async def run_in_process(
    runtime_name: str, config: dict, input_data: dict, services, agent_id: str = "agent-1",
    resume: Resume | None = None,
) -> list[tuple[str, dict]]:
    """Run a runtime in this process, supervised as the server does, and return ``(type, data)`` pairs."""
    events = await runs.run_in_process(runtime_name, config, input_data, services, agent_id=agent_id,
                                       execution_id=f"test-{next(_execution_numbers)}", resume=resume)
    return [(event.type, event.data) for event in events]


def event_types(events: list[tuple[str, dict]]) -> list[str]:
    return [event_type for event_type, _ in events]


def resume_from(interrupt_data: dict, answer: Any, interrupt_id: str = "interrupt-1") -> Resume:
    """The resume of a run that ended with this ``interrupt`` event's data, answered with ``answer``."""
    return Resume(interrupt_id=interrupt_id, kind=interrupt_data["kind"], payload=interrupt_data["payload"],
                  state=interrupt_data["state"], answer=answer)


def model_call(purpose: str = "answer", finish_reason: str | None = "stop", prompt_tokens: Any = ANY,
               completion_tokens: Any = ANY, *, provider: str = "openai", model: str = "stub-model") -> tuple:
    """The ``model_call`` step a runtime emits after one model call (its duration: any)."""
    return ("step", {"name": "model_call", "content": {
        "purpose": purpose, "provider": provider, "model": model, "finish_reason": finish_reason,
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}, "duration_ms": ANY,
    }})


def without_model_calls(events: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """The events but the ``model_call`` steps, for tests about something else."""
    return [event for event in events if not (event[0] == "step" and event[1].get("name") == "model_call")]
