"""A room's log: its own events and its turns' events in one sequence, the order of its stream.

A room's stream (``room:<id>`` on the user socket, ``/api/rooms/{id}/stream/``)
gives every event of the room and of its turns in one order, resumable
with one cursor: the entry's ``seq`` here (``room_seq`` in a message). The
turns of a parallel round run at once, on any workers; each of their events
takes the room's next seq where it is stored, in the same transaction
(``append_turn_events``, from ``runs.services``), by an update of
``Room.last_seq``. The update holds the room's row until commit, so a later
seq always commits after an earlier one: what a reader finds in the log is
a prefix of it, and nothing turns up behind a cursor afterwards.

Lock order: an execution's row, then its room's (the order of the event
writer, which locks the running rows first). The room's services, holding
the room's row, therefore never touch a turn's execution row: they stop
turns after commit (``rooms.services``).

A turn's event is not copied into the log: its entry points at the stored
event (``RoomEvent.execution``, ``execution_seq``), and a replay joins them.
"""

from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from realtime.publish import publish
from runs import events as run_events
from runs.models import AgentEvent

from .models import Room, RoomEvent

ROOM_STARTED = "room_started"
TURN_STARTED = "turn_started"
TURN_COMPLETED = "turn_completed"
ROUND_COMPLETED = "round_completed"
ROOM_PAUSED = "room_paused"
ROOM_RESUMED = "room_resumed"
ROOM_COMPLETED = "room_completed"
ROOM_STOPPED = "room_stopped"
ROOM_FAILED = "room_failed"
# After one of these, the room's stream has nothing more to say.
ENDED_TYPES = frozenset({ROOM_COMPLETED, ROOM_STOPPED, ROOM_FAILED})


def room_group(room_id):
    return f"room.{room_id}"


def room_broadcast(messages):
    """One channel-layer message carrying a batch of a room's stream messages, in room_seq order."""
    return {"type": "room.events", "events": messages}


def own_message(room_id, seq, event_type, content, timestamp):
    """The stream message of one of the room's own events."""
    return {
        "type": event_type, "room_id": str(room_id), "room_seq": seq, "content": content,
        "timestamp": run_events.format_timestamp(timestamp),
    }


def turn_message(room_id, room_seq, message):
    """The stream message of a turn's event: the execution's own event message, placed in the room."""
    return {**message, "room_id": str(room_id), "room_seq": room_seq}


def _take_seqs(room_id, count):
    """Reserve the room's next ``count`` seqs (its row locked until commit); the last one, or None if it is gone."""
    if not Room.objects.filter(id=room_id).update(last_seq=F("last_seq") + count):
        return None
    return Room.objects.values_list("last_seq", flat=True).get(id=room_id)


def record(room, event_type, content):
    """Store the room's next event of its own (in the caller's transaction), broadcast after commit."""
    room.last_seq = _take_seqs(room.id, 1)
    event = RoomEvent.objects.create(
        room=room, seq=room.last_seq, event_type=event_type, content=content, timestamp=timezone.now()
    )
    message = own_message(room.id, event.seq, event_type, content, event.timestamp)
    transaction.on_commit(partial(publish, [(room_group(room.id), room_broadcast([message]))]))
    return event


def append_turn_events(entries):
    """Enter turns' stored events in their rooms' logs (in the storing transaction); the broadcasts to send.

    ``entries``: (room id, execution id, seq, event type, timestamp, event
    message), in seq order per execution. Rooms are locked in id order, so
    two writers with turns of the same rooms wait for each other rather
    than deadlock. Returns (group, message) pairs for after the commit.
    """
    by_room = {}
    for entry in entries:
        by_room.setdefault(str(entry[0]), []).append(entry)
    rows, sends = [], []
    for room_id in sorted(by_room):
        room_entries = by_room[room_id]
        last = _take_seqs(room_id, len(room_entries))
        if last is None:
            continue  # the room was deleted; its turns' runs are the executions' own now
        messages = []
        for room_seq, (_, execution_id, seq, event_type, timestamp, message) in enumerate(
            room_entries, start=last - len(room_entries) + 1
        ):
            rows.append(RoomEvent(room_id=room_id, seq=room_seq, event_type=event_type, timestamp=timestamp,
                                  execution_id=execution_id, execution_seq=seq))
            messages.append(turn_message(room_id, room_seq, message))
        sends.append((room_group(room_id), room_broadcast(messages)))
    RoomEvent.objects.bulk_create(rows)
    return sends


def messages_after(room_id, after_seq, limit, before_seq=None):
    """The stream messages of the log's entries with after_seq < seq < before_seq, in order."""
    entries = RoomEvent.objects.filter(room_id=room_id, seq__gt=after_seq)
    if before_seq is not None:
        entries = entries.filter(seq__lt=before_seq)
    entries = list(entries.order_by("seq").values_list(
        "seq", "event_type", "content", "timestamp", "execution_id", "execution_seq"
    )[:limit])
    turn_events = _turn_events([(execution_id, seq) for *_, execution_id, seq in entries if execution_id])
    messages = []
    for room_seq, event_type, content, timestamp, execution_id, execution_seq in entries:
        if execution_id is None:
            messages.append(own_message(room_id, room_seq, event_type, content, timestamp))
        elif (execution_id, execution_seq) in turn_events:
            messages.append(turn_message(room_id, room_seq, turn_events[execution_id, execution_seq]))
    return messages


def _turn_events(places):
    """{(execution id, seq): event message} for these places: one range query per execution."""
    seqs = {}
    for execution_id, seq in places:
        seqs.setdefault(execution_id, []).append(seq)
    found = {}
    for execution_id, wanted in seqs.items():
        rows = AgentEvent.objects.filter(execution_id=execution_id, seq__gte=min(wanted), seq__lte=max(wanted))
        for event in rows.only("execution_id", "seq", "event_type", "content", "timestamp"):
            found[execution_id, event.seq] = run_events.row_message(event)
    return found


def is_stored(room_id, seq, event_type):
    return RoomEvent.objects.filter(room_id=room_id, seq=seq, event_type=event_type).exists()
