"""Event types, their wire format, and the channel-layer messages that carry them.

A stored AgentEvent row and the WebSocket message for it are one thing in two
forms: ``event_message`` is the only place that turns a row into a message, so
an event replayed from the database and the same event sent live are
identical.
"""

from dataclasses import dataclass
from datetime import datetime

# Lifecycle events, written by the state transitions in agents.services.
EXECUTION_STARTED = "execution_started"
EXECUTION_COMPLETED = "execution_completed"
EXECUTION_ERROR = "execution_error"
EXECUTION_STOPPED = "execution_stopped"
LIFECYCLE_TYPES = frozenset({EXECUTION_STARTED, EXECUTION_COMPLETED, EXECUTION_ERROR, EXECUTION_STOPPED})

# Agent events, streamed by the agent server; sent as type "agent_event".
AGENT_EVENT = "agent_event"
AGENT_EVENT_FIELDS = {
    "progress": ("stage", "message"),
    "message": ("role", "content"),
    "step": ("name", "content"),
    "token": ("content",),
    "tool_call": ("tool", "arguments"),
    "tool_result": ("tool", "result"),
}


class MalformedEvent(ValueError):
    """An agent event that breaks the contract (unknown type, missing field)."""


@dataclass(frozen=True)
class PendingEvent:
    """An event not yet stored: it gets its seq and row when recorded."""

    event_type: str
    content: dict
    timestamp: datetime


def check_agent_event(event_type, content):
    """Validate an agent event from the agent server; returns its content."""
    required = AGENT_EVENT_FIELDS.get(event_type)
    if required is None:
        raise MalformedEvent(f"unknown event type {event_type!r}")
    if not isinstance(content, dict):
        raise MalformedEvent(f"{event_type} event data is not an object")
    missing = [name for name in required if name not in content]
    if missing:
        raise MalformedEvent(f"{event_type} event lacks {', '.join(missing)}")
    if event_type == "token" and not isinstance(content["content"], str):
        raise MalformedEvent("token content is not text")
    return content


def format_timestamp(value):
    # Same shape as DRF's DateTimeField, so REST and WebSocket agree.
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def event_message(execution_id, seq, event_type, content, timestamp):
    """The wire message of one event (REST list item and WebSocket frame)."""
    message = {"type": event_type, "execution_id": str(execution_id), "seq": seq}
    if event_type in LIFECYCLE_TYPES:
        message.update(content)
    else:
        message["type"] = AGENT_EVENT
        message["event_type"] = event_type
        message["content"] = content
    message["timestamp"] = format_timestamp(timestamp)
    return message


def row_message(event):
    return event_message(event.execution_id, event.seq, event.event_type, event.content, event.timestamp)


# --- Channel layer ------------------------------------------------------------------


def execution_group(execution_id):
    return f"execution.{execution_id}"


def agent_group(agent_id):
    return f"agent.{agent_id}"


def events_broadcast(messages):
    """One channel-layer message carrying a batch of one execution's events."""
    return {"type": "execution.events", "events": messages}


def status_broadcast(execution):
    """The lighter message for an agent's watchers when an execution changes status."""
    return {
        "type": "execution.status",
        "execution_id": str(execution.id),
        "agent_id": str(execution.agent_id),
        "status": execution.status,
    }
