"""Events on the platform side: their wire format, and the channel-layer messages that carry them.

A stored AgentEvent row and the WebSocket message for it are one thing in two
forms: ``event_message`` is the only place that turns a row into a message, so
an event replayed from the database and the same event sent live are
identical.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
    MEMORY,
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


# --- A thread's cursor ---------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class ThreadCursor:
    """Where a client is in a thread's stream: event ``seq`` of the run ``execution_id``.

    On the wire, ``"<run created, µs since the epoch>:<execution id>:<seq>"``:
    opaque to clients. The run's creation time places it among the thread's
    runs even once it is gone (a rolled-back run is deleted), so the stream
    resumes with the run after it.
    """

    created_at: datetime
    execution_id: str
    seq: int

    def __str__(self):
        return f"{(self.created_at - _EPOCH) // _MICROSECOND}:{self.execution_id}:{self.seq}"

    @classmethod
    def parse(cls, text):
        """The cursor ``text`` stands for; ValueError when it is not one."""
        created, execution_id, seq = text.split(":")
        if not created.isdigit() or not seq.isdigit():
            raise ValueError(text)
        return cls(_EPOCH + int(created) * _MICROSECOND, str(uuid.UUID(execution_id)), int(seq))


# --- Channel layer ------------------------------------------------------------------


def execution_group(execution_id):
    return f"execution.{execution_id}"


def agent_group(agent_id):
    return f"agent.{agent_id}"


def thread_group(thread_id):
    return f"thread.{thread_id}"


# The runs view's live updates: every run of one owner, and every run (for staff).
RUNS_ALL_GROUP = "runs.all"


def runs_group(owner_id):
    return f"runs.user.{owner_id}"


def watcher_groups(execution):
    """Who hears an execution's status changes: its agent's sockets, and its thread's streams."""
    groups = [agent_group(execution.agent_id)]
    if execution.thread_id is not None:
        groups.append(thread_group(execution.thread_id))
    return groups


def status_sends(execution):
    """The (group, message) pairs that tell everyone watching that ``execution`` was created or moved.

    The runs view's groups get a message type of their own: a socket in a
    thread's group and a runs group gets both copies, and each means
    something else to it.
    """
    status = status_broadcast(execution)
    runs_status = {**status, "type": "runs.status", "room_id": str(execution.room_id) if execution.room_id else None}
    return [(group, status) for group in watcher_groups(execution)] + [
        (runs_group(execution.agent.owner_id), runs_status),
        (RUNS_ALL_GROUP, runs_status),
    ]


def events_broadcast(messages):
    """One channel-layer message carrying a batch of one execution's events."""
    return {"type": "execution.events", "events": messages}


def status_broadcast(execution):
    """The lighter message for an agent's (and a thread's) watchers when an execution changes status."""
    return {
        "type": "execution.status",
        "execution_id": str(execution.id),
        "agent_id": str(execution.agent_id),
        "thread_id": str(execution.thread_id) if execution.thread_id is not None else None,
        "status": execution.status,
    }
