"""The one event vocabulary of the platform and the agent server.

Three kinds of types:

* lifecycle types, written by the platform's state transitions (one per
  transition) and sent to clients as they are;
* agent event types, streamed by the agent server, stored by the platform
  and sent to clients wrapped in an ``agent_event`` message; each carries the
  fields in ``AGENT_EVENT_FIELDS`` (more are allowed, e.g. ``percent``);
* the terminal types of the agent server's stream, ``result`` and ``error``,
  which the platform turns into lifecycle events and never stores as such.

The builders return ``(type, data)``; the agent server wraps the pair in its
own ``Event``. Plain data only: this module is imported by both processes.
"""

from __future__ import annotations

from typing import Any

# --- Lifecycle: written by the platform -------------------------------------------

EXECUTION_STARTED = "execution_started"
EXECUTION_COMPLETED = "execution_completed"
EXECUTION_ERROR = "execution_error"
EXECUTION_STOPPED = "execution_stopped"
# A run lost before its first agent event goes back to pending, to be started again.
EXECUTION_REQUEUED = "execution_requeued"
# The run waits for a person (``interrupt``: {id, kind, payload}), then goes on
# once answered (``interrupt_id``), on whichever worker claims it.
EXECUTION_INTERRUPTED = "execution_interrupted"
EXECUTION_RESUMED = "execution_resumed"
LIFECYCLE_TYPES = frozenset(
    {
        EXECUTION_STARTED, EXECUTION_REQUEUED, EXECUTION_INTERRUPTED, EXECUTION_RESUMED,
        EXECUTION_COMPLETED, EXECUTION_ERROR, EXECUTION_STOPPED,
    }
)
# After one of these an execution never gets another event.
TERMINAL_TYPES = frozenset({EXECUTION_COMPLETED, EXECUTION_ERROR, EXECUTION_STOPPED})

# --- Agent events: streamed by the agent server -----------------------------------

# The message type clients receive for every agent event.
AGENT_EVENT = "agent_event"

PROGRESS = "progress"
MESSAGE = "message"
STEP = "step"
TOKEN = "token"
TOOL_CALL = "tool_call"
TOOL_RESULT = "tool_result"
# The agent kept something about its user (the ``remember`` tool): the
# platform stores the event and writes the user's memory item with it.
MEMORY = "memory"
AGENT_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    PROGRESS: ("stage", "message"),
    MESSAGE: ("role", "content"),
    STEP: ("name", "content"),
    TOKEN: ("content",),
    TOOL_CALL: ("tool", "arguments"),
    TOOL_RESULT: ("tool", "result"),
    MEMORY: ("namespace", "key", "value"),
}
AGENT_EVENT_TYPES = frozenset(AGENT_EVENT_FIELDS)

# Stage of the last progress event of a successful run, the one at 100 percent.
DONE_STAGE = "done"

# --- Terminal events of the agent server's stream ---------------------------------

RESULT = "result"
ERROR = "error"
# The run must wait for a person: ``{kind, payload, state}``. ``state`` is the
# runtime's own checkpoint; the platform keeps it and sends it back, with the
# answer, as the ``resume`` of the next run request, so the runtime goes on
# from there instead of starting again (and repeating what it already did).
# The kinds and their answers: ``contract.interrupts``.
INTERRUPT = "interrupt"


class MalformedEvent(ValueError):
    """An agent event that breaks the contract (unknown type, missing field)."""


def check_agent_event(event_type: str, content: Any) -> dict[str, Any]:
    """Validate an agent event received from the agent server; returns its content."""
    required = AGENT_EVENT_FIELDS.get(event_type)
    if required is None:
        raise MalformedEvent(f"unknown event type {event_type!r}")
    if not isinstance(content, dict):
        raise MalformedEvent(f"{event_type} event data is not an object")
    missing = [name for name in required if name not in content]
    if missing:
        raise MalformedEvent(f"{event_type} event lacks {', '.join(missing)}")
    # Clients append token deltas to text; anything else would corrupt it.
    if event_type == TOKEN and not isinstance(content["content"], str):
        raise MalformedEvent("token content is not text")
    if event_type == MEMORY and not all(
        isinstance(content[name], str) and 0 < len(content[name]) <= limit
        for name, limit in (("namespace", 100), ("key", 200))
    ):
        raise MalformedEvent("memory namespace and key must be short, non-empty text")
    return content


# --- Builders of agent events' data -----------------------------------------------


def progress(stage: str, message: str, percent: int | float | None = None) -> tuple[str, dict[str, Any]]:
    """``percent`` (0..100) is optional; when a run gives it, it never goes down."""
    data: dict[str, Any] = {"stage": stage, "message": message}
    if percent is not None:
        data["percent"] = percent
    return PROGRESS, data


def done(message: str = "Done") -> tuple[str, dict[str, Any]]:
    """The progress event a successful run sends last, just before its result."""
    return progress(DONE_STAGE, message, percent=100)


def message(role: str, content: str) -> tuple[str, dict[str, Any]]:
    return MESSAGE, {"role": role, "content": content}


def step(name: str, content: str) -> tuple[str, dict[str, Any]]:
    return STEP, {"name": name, "content": content}


def token(content: str) -> tuple[str, dict[str, Any]]:
    """A text delta: only the new text, never everything so far."""
    return TOKEN, {"content": content}


def tool_call(tool: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return TOOL_CALL, {"tool": tool, "arguments": arguments}


def tool_result(tool: str, result: Any) -> tuple[str, dict[str, Any]]:
    return TOOL_RESULT, {"tool": tool, "result": result}


def memory(namespace: str, key: str, value: Any) -> tuple[str, dict[str, Any]]:
    return MEMORY, {"namespace": namespace, "key": key, "value": value}
