"""The vocabulary of a run: agent events, the result, and failures.

The types and their fields are ``contract.events``, shared with the platform;
this module wraps them for runtimes. A runtime's ``run()`` is an async
generator that yields ``Event`` objects made with the builders below
(``progress``, ``done``, ``message``, ``step``, ``token``, ``tool_call``,
``tool_result``) and ends by yielding one ``Result`` (or, to wait for a person, one
``Interrupt``). To end a run as failed
it raises ``RuntimeFailure(message, code)``. The server (see
``mcp_server.runs``) turns the ``Result`` into the terminal ``result`` event
and any failure into the terminal ``error`` event, so runtimes never build
those two themselves.

Each ``Event`` encodes its data to compact JSON once, when it is built. That
makes a value JSON cannot carry (a datetime, NaN, a set) fail inside the
runtime that produced it, with a traceback pointing there, and lets the SSE
transport write the text as is instead of encoding every event again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from contract import events as contract
from contract.events import (
    AGENT_EVENT_TYPES,
    DONE_STAGE,
    ERROR,
    INTERRUPT,
    MESSAGE,
    PROGRESS,
    RESULT,
    STEP,
    TOKEN,
    TOOL_CALL,
    TOOL_RESULT,
)

# Re-exported so runtimes need one import for the whole vocabulary.
__all__ = [
    "AGENT_EVENT_TYPES", "DONE_STAGE", "ERROR", "INTERRUPT", "MESSAGE", "PROGRESS", "RESULT", "RUNTIME_ERROR",
    "STEP", "TOKEN", "TOOL_CALL", "TOOL_RESULT", "Event", "Interrupt", "Result", "RuntimeFailure", "done",
    "encode_json", "error_event", "interrupt_event", "message", "progress", "result_event", "step", "token",
    "tool_call", "tool_result",
]

# Compact, and strict about NaN/Infinity because browsers' JSON.parse rejects them.
encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

# Code of the error event when a runtime breaks its contract or crashes.
RUNTIME_ERROR = "runtime_error"


@dataclass(slots=True)
class Event:
    """One event of a run: its ``type``, its ``data`` and the data as JSON text.

    Treat it as immutable: ``data_json`` is computed once, when it is built.
    """

    type: str
    data: dict[str, Any]
    data_json: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.data_json = encode_json(self.data)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "data": self.data}


@dataclass(frozen=True, slots=True)
class Result:
    """What a run produced; a runtime yields it as its last item."""

    output: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Interrupt:
    """The run must wait for a person; a runtime yields it as its last item instead of a ``Result``.

    ``kind`` and ``payload`` are what the person sees (``contract.interrupts``);
    ``state`` is the runtime's checkpoint, JSON, given back with the answer as
    ``request.resume`` when the run goes on, on this server or another one.
    """

    kind: str
    payload: dict[str, Any]
    state: dict[str, Any]


class RuntimeFailure(Exception):
    """Raised by a runtime to end its run with an ``error`` event.

    ``message`` is shown to people, so it should say what went wrong in their
    terms; ``code`` is a stable machine-readable identifier.
    """

    def __init__(self, message: str, code: str = RUNTIME_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def progress(stage: str, message: str, percent: int | float | None = None) -> Event:
    """``percent`` (0..100) never goes down within a run; see ``done`` for its end."""
    return Event(*contract.progress(stage, message, percent))


def done(message: str = "Done") -> Event:
    """The last agent event of a successful run: progress at 100 percent, just before the ``Result``."""
    return Event(*contract.done(message))


def message(role: str, content: str) -> Event:
    return Event(*contract.message(role, content))


def step(name: str, content: str) -> Event:
    return Event(*contract.step(name, content))


def token(content: str) -> Event:
    """A text delta: only the new text, never everything so far."""
    return Event(*contract.token(content))


def tool_call(tool: str, arguments: dict[str, Any]) -> Event:
    return Event(*contract.tool_call(tool, arguments))


def tool_result(tool: str, result: Any) -> Event:
    return Event(*contract.tool_result(tool, result))


def memory(namespace: str, key: str, value: Any) -> Event:
    return Event(*contract.memory(namespace, key, value))


def result_event(output: dict[str, Any]) -> Event:
    return Event(RESULT, {"output": output})


def error_event(message: str, code: str) -> Event:
    return Event(ERROR, {"message": message, "code": code})


def interrupt_event(interrupt: Interrupt) -> Event:
    return Event(INTERRUPT, {"kind": interrupt.kind, "payload": interrupt.payload, "state": interrupt.state})
