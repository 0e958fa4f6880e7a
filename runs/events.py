"""Events on the platform side: their wire format, and the channel-layer messages that carry them.

A stored AgentEvent row and the WebSocket message for it are one thing in two
forms: ``event_message`` is the only place that turns a row into a message, so
an event replayed from the database and the same event sent live are
identical.
"""

from dataclasses import dataclass
from datetime import datetime

# The vocabulary (event types, their fields, the check of an agent event) is
# the contract's, shared with the agent server; services use these names from here.
from contract.events import (  # noqa: F401
    AGENT_EVENT,
    EXECUTION_COMPLETED,
    EXECUTION_ERROR,
    EXECUTION_INTERRUPTED,
    EXECUTION_REQUEUED,
    EXECUTION_RESUMED,
    EXECUTION_STARTED,
    EXECUTION_STOPPED,
    LIFECYCLE_TYPES,
    MalformedEvent,
    check_agent_event,
)


@dataclass(frozen=True)
class PendingEvent:
    """An event not yet stored: it gets its seq and row when recorded."""

    event_type: str
    content: dict
    timestamp: datetime


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
