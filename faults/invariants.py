"""The invariants every fault scenario ends with, checked in one place.

Whatever was killed, frozen or restarted, once the scenario's bound has
passed:

* every stored execution is terminal (completed, failed or stopped);
* its events have seqs 1..last_seq, none missing, none twice;
* it has exactly one terminal event (``execution_completed``,
  ``execution_error`` or ``execution_stopped``), that event is its last,
  and it agrees with the status;
* every socket client saw each execution it followed end exactly once:
  seqs 1..last_seq in order, no duplicate, no gap, the same types as stored;
* every room's log has seqs 1..last_seq, and holds each event of each of
  its turns exactly once, in the turn's order (``rooms.log``).

``check_invariants`` asserts all of it and returns the figures a scenario
records (counts, the longest time from the fault to a terminal status).
"""

import time
from collections import Counter, defaultdict

from contract.events import AGENT_EVENT, EXECUTION_REQUEUED, LIFECYCLE_TYPES, TERMINAL_TYPES
from rooms.models import Room, RoomEvent
from runs.models import AgentEvent, AgentExecution

STATUS_OF = {"execution_completed": "completed", "execution_error": "failed", "execution_stopped": "stopped"}
TERMINAL_STATUSES = [str(status) for status in AgentExecution.TERMINAL_STATUSES]
MAX_REPORTED = 25


def wire_type(event_type):
    """The ``type`` of an event's socket message: lifecycle events keep theirs, agent events are ``agent_event``."""
    return event_type if event_type in LIFECYCLE_TYPES else AGENT_EVENT


def unfinished_count():
    return AgentExecution.objects.exclude(status__in=TERMINAL_STATUSES).count()


def wait_until_all_terminal(timeout, interval=0.1):
    """Wait up to ``timeout`` s for every stored execution to be terminal; returns the seconds waited.

    It does not raise: what is still unfinished then is the checker's to report.
    """
    started = time.monotonic()
    deadline = started + timeout
    while unfinished_count() and time.monotonic() < deadline:
        time.sleep(interval)
    return time.monotonic() - started


def stored_streams():
    """{execution id: [(seq, event_type), ...] in seq order} for every stored execution."""
    streams = defaultdict(list)
    rows = AgentEvent.objects.order_by("execution_id", "seq").values_list("execution_id", "seq", "event_type")
    for execution_id, seq, event_type in rows.iterator(chunk_size=5000):
        streams[str(execution_id)].append((seq, event_type))
    return streams


def check_invariants(followers=(), fault_at=None):
    """Assert the invariants over every stored execution and every follower; return the figures.

    ``fault_at`` (``time.time()`` of the fault) makes ``max_seconds_to_terminal``
    the longest time from it to the ``completed_at`` of an execution created before it.
    """
    problems = []
    executions = list(
        AgentExecution.objects.values("id", "status", "last_seq", "error_code", "completed_at", "created_at")
    )
    streams = stored_streams()
    statuses, codes = Counter(), Counter()
    to_terminal = []
    for execution in executions:
        execution_id = str(execution["id"])
        stream = streams.get(execution_id, [])
        statuses[execution["status"]] += 1
        if execution["error_code"]:
            codes[execution["error_code"]] += 1
        problems += _stream_problems(execution_id, execution, stream)
        if fault_at is not None and execution["completed_at"] and execution["created_at"].timestamp() <= fault_at:
            to_terminal.append(execution["completed_at"].timestamp() - fault_at)

    problems += _room_log_problems(streams)

    frames, connections, drops, lost = 0, 0, 0, 0
    for follower in followers:
        connections += follower.connections
        drops += follower.drops
        lost += follower.lost
        for execution_id, received in follower.received.items():
            frames += len(received)
            problems += _client_problems(follower, execution_id, received, streams.get(execution_id, []))

    assert not problems, f"{len(problems)} invariant violations:\n" + "\n".join(problems[:MAX_REPORTED])
    figures = {
        "executions": len(executions),
        "by_status": dict(sorted(statuses.items())),
        "error_codes": dict(sorted(codes.items())),
        "events_stored": sum(len(stream) for stream in streams.values()),
        # Runs lost before their first agent event that went back to pending, to run again.
        "requeued": sum(
            any(event_type == EXECUTION_REQUEUED for _, event_type in stream) for stream in streams.values()
        ),
    }
    if followers:
        figures |= {
            "socket_clients": len(followers),
            "frames_received": frames,
            "connections": connections,
            "dropped_by_client": drops,
            "lost_to_the_fault": lost,
        }
    if to_terminal:
        figures["max_seconds_to_terminal"] = round(max(0.0, max(to_terminal)), 2)
    return figures


def _room_log_problems(streams):
    problems = []
    last_seqs = dict(Room.objects.values_list("id", "last_seq"))
    logs, entered = defaultdict(list), defaultdict(list)
    rows = RoomEvent.objects.order_by("room_id", "seq").values_list("room_id", "seq", "execution_id", "execution_seq")
    for room_id, seq, execution_id, execution_seq in rows.iterator(chunk_size=5000):
        logs[room_id].append(seq)
        if execution_id is not None:
            entered[str(execution_id)].append(execution_seq)
    for room_id, last_seq in last_seqs.items():
        if logs[room_id] != list(range(1, last_seq + 1)):
            problems.append(f"room {str(room_id)[:8]}: its log's seqs are not 1..{last_seq}")
    turns = AgentExecution.objects.filter(room__isnull=False).values_list("id", flat=True)
    for execution_id in map(str, turns):
        if entered[execution_id] != [seq for seq, _ in streams.get(execution_id, [])]:
            problems.append(f"turn {execution_id[:8]}: its room's log does not hold each of its events once, in order")
    return problems


def _stream_problems(execution_id, execution, stream):
    name = f"execution {execution_id[:8]} ({execution['status']})"
    problems = []
    if execution["status"] not in TERMINAL_STATUSES:
        problems.append(f"{name} is not terminal")
    seqs = [seq for seq, _ in stream]
    if seqs != list(range(1, execution["last_seq"] + 1)):
        problems.append(f"{name}: seqs {_summary(seqs)} are not 1..{execution['last_seq']}")
    terminal = [(seq, event_type) for seq, event_type in stream if event_type in TERMINAL_TYPES]
    if len(terminal) != 1:
        problems.append(f"{name}: {len(terminal)} terminal events {terminal}")
    elif stream and terminal[0] != stream[-1]:
        problems.append(f"{name}: terminal event {terminal[0]} is not the last {stream[-1]}")
    elif terminal and STATUS_OF[terminal[0][1]] != execution["status"]:
        problems.append(f"{name}: terminal event {terminal[0][1]} disagrees with the status")
    return problems


def _client_problems(follower, execution_id, received, stream):
    name = f"client {follower.name} on execution {execution_id[:8]}"
    seqs = [seq for seq, _ in received]
    expected = [seq for seq, _ in stream]
    if seqs == expected and [kind for _, kind in received] == [wire_type(kind) for _, kind in stream]:
        return []
    duplicates = sorted(seq for seq, count in Counter(seqs).items() if count > 1)
    missing = sorted(set(expected) - set(seqs))
    if duplicates or missing or seqs != expected:
        errors = f", error frames {follower.errors[:3]}" if follower.errors else ""
        return [
            (
                f"{name}: received {_summary(seqs)} of 1..{len(expected)}; duplicates {_summary(duplicates)}, "
                f"missing {_summary(missing)}{errors}"
            )
        ]
    return [f"{name}: event types differ from the stored ones"]


def _summary(seqs, limit=12):
    seqs = list(seqs)
    if len(seqs) <= limit:
        return str(seqs)
    return f"[{', '.join(map(str, seqs[: limit // 2]))}, ... {', '.join(map(str, seqs[-limit // 2 :]))}] ({len(seqs)})"
