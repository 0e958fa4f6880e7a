"""A room's life: start, the turns of each round, pause, resume, stop, its end.

Nothing here waits for a turn. A turn is an ordinary execution; when it
ends, ``turn_ended`` (a ``run_finished`` receiver, on a worker) claims the
turn (``Turn.ended_at``, set by a conditional update: a repeated hook finds
it set) and moves the room on with the room's row locked, so two workers
never both advance it and a room survives the restart of any process: all
it needs is in the database. ``advance`` reads what the room should do next
from its rows alone (the seats, the turns of its round), so it is safe to
call again. A turn's end whose hook task was lost is taken in by the sweep
(``sweep_rooms``).

- **Sequential**: the seats of a round take their turns in position order;
  each answer joins the room as its turn ends, so the next seat sees it.
- **Parallel**: every seat of a round runs at once on the messages before
  the round; their answers join in seat order once all have ended (a failed
  or stopped seat loses no other's answer; ``round_completed`` says which
  failed).

A round's end ends the room after ``max_rounds``, or as soon as an answer
holds the ``stop_phrase``; a pause asked for meanwhile (``pause``) takes
effect there, between turns, unless asked ``now``, which stops the running
turns (they are run again on ``resume``). A failed turn ends the room as
failed when its ``on_turn_failure`` says ``fail``; else it goes on.

What happens is the room's log (``rooms.log``): its own events, ``record``ed
here with the room's row locked, and its turns' events, in one sequence.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agents import permissions
from contract.errors import PlatformError
from runs import services as runs_services
from runs.models import AgentExecution
from threads.replies import answer_text
from threads.selectors import estimated_tokens

from .log import (
    ROOM_COMPLETED,
    ROOM_FAILED,
    ROOM_PAUSED,
    ROOM_RESUMED,
    ROOM_STARTED,
    ROOM_STOPPED,
    ROUND_COMPLETED,
    TURN_COMPLETED,
    TURN_STARTED,
    record,
)
from .models import Room, RoomMessage, Seat, Turn

Status = Room.Status
ExecStatus = AgentExecution.Status

class RoomStateError(PlatformError):
    code = "room_state"
    status = 409


# --- Seats -------------------------------------------------------------------------


def set_seats(room, seats, user):
    """Replace the room's seats with ``seats`` (``[{agent, instructions}]``, in order); only while it does not run."""
    for seat in seats:
        # Only one's own agents take a seat, whatever one may see.
        if seat["agent"].owner_id != room.owner_id:
            raise PlatformError("Only the room owner's own agents can take a seat.", "invalid_field", status=400,
                                fields={"seats": ["Only your own agents can take a seat."]})
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(id=room.id)
        if locked.status in (Status.RUNNING, Status.PAUSED):
            raise RoomStateError("The seats of a running or paused room cannot change: stop it first.")
        locked.seats.all().delete()
        Seat.objects.bulk_create([
            Seat(room=locked, agent=seat["agent"], position=index, instructions=seat.get("instructions", ""))
            for index, seat in enumerate(seats)
        ])


# What a running or paused room keeps until it is stopped.
FIXED_WHILE_RUNNING = {"mode", "task", "seats", "on_turn_failure"}


def update_room(room, changes, user):
    """Change the room's settings (and seats) as ``changes`` says; the room, changed.

    Only the changed columns are written, under the room's lock: a whole-row
    save would put back the ``last_seq`` it read while turns' events were
    taking the next ones, and the log would hand out a seq twice.
    """
    changes = dict(changes)
    seats = changes.pop("seats", None)
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(id=room.id)
        fixed = (set(changes) | ({"seats"} if seats is not None else set())) & FIXED_WHILE_RUNNING
        if fixed and locked.status in (Status.RUNNING, Status.PAUSED):
            raise RoomStateError(f"A running or paused room keeps its {', '.join(sorted(fixed))}: stop it first.")
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*changes, "updated_at"])
        if seats is not None:
            set_seats(locked, seats, user)
    return locked


# --- Start, pause, resume, stop --------------------------------------------------------


def start(room, user, task=None):
    """Start an idle room on its task (or ``task``): its first round begins."""
    permissions.check_may_change(user, room.owner_id, permissions.START_EXECUTION)
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(id=room.id)
        if locked.status != Status.IDLE:
            raise RoomStateError(f"The room is {locked.status}: only an idle room starts.")
        seats = list(locked.seats.select_related("agent"))
        if not seats:
            raise RoomStateError("The room has no seats: give it at least one agent.")
        if task:
            locked.task = task
        if not locked.task.strip():
            raise PlatformError("A room needs a task to start.", "invalid_field", status=400,
                                fields={"task": ["Say what the agents are to do."]})
        for seat in seats:
            runs_services.check_may_start(seat.agent)
        locked.status, locked.round, locked.started_at = Status.RUNNING, 1, timezone.now()
        locked.save(update_fields=["status", "round", "task", "started_at", "updated_at"])
        RoomMessage.objects.create(room=locked, round=0, role=RoomMessage.Role.USER, content=locked.task)
        record(locked, ROOM_STARTED, {"task": locked.task, "mode": locked.mode, "max_rounds": locked.max_rounds})
        advance(locked)
    return locked


def pause(room, user, now=False):
    """Pause once the running turns have ended (``now``: stop them, to be run again on resume)."""
    permissions.check_may_change(user, room.owner_id, permissions.STOP_EXECUTION)
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(id=room.id)
        if locked.status == Status.PAUSED:
            return locked
        if locked.status != Status.RUNNING:
            raise RoomStateError(f"The room is {locked.status}: only a running room pauses.")
        locked.pause_requested = True
        locked.save(update_fields=["pause_requested", "updated_at"])
        if now:
            for turn in _running_turns(locked):
                if not turn.execution.is_terminal:
                    Turn.objects.filter(id=turn.id).update(redo=True)
                    _stop_after_commit(turn.execution)
        advance(locked)
    return locked


def resume(room, user):
    permissions.check_may_change(user, room.owner_id, permissions.START_EXECUTION)
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(id=room.id)
        if locked.status == Status.RUNNING and not locked.pause_requested:
            return locked
        if locked.status not in (Status.PAUSED, Status.RUNNING):
            raise RoomStateError(f"The room is {locked.status}: only a paused room resumes.")
        was_paused = locked.status == Status.PAUSED
        locked.status, locked.pause_requested = Status.RUNNING, False
        locked.save(update_fields=["status", "pause_requested", "updated_at"])
        if was_paused:
            record(locked, ROOM_RESUMED, {"round": locked.round})
        advance(locked)
    return locked


def stop(room, user):
    """End the room now, stopping its running turns; stopping an ended room changes nothing."""
    permissions.check_may_change(user, room.owner_id, permissions.STOP_EXECUTION)
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(id=room.id)
        if locked.status in Room.ENDED_STATUSES:
            return locked
        if locked.status == Status.IDLE:
            raise RoomStateError("The room has not started.")
        _end(locked, Status.STOPPED, "stopped")
    return locked


def delete_room(room, user):
    permissions.check_may_change(user, room.owner_id, permissions.DELETE_ROOM)
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(id=room.id)
        for turn in _running_turns(locked):
            _stop_after_commit(turn.execution)
        locked.delete()  # its turns' executions stay in the audit trail


# --- Moving on -------------------------------------------------------------------------


def turn_ended(execution):
    """``run_finished`` receiver: claim the turn of ``execution``, and move its room on."""
    turn = Turn.objects.filter(execution_id=execution.id).select_related("seat__agent").first()
    if turn is None:
        return
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(id=turn.room_id).first()
        if room is None or not Turn.objects.filter(id=turn.id, ended_at=None).update(ended_at=timezone.now()):
            return  # the room is gone, or this end was handled already
        if execution.status == ExecStatus.COMPLETED and turn.redo:
            # It completed before the pause's stop reached it: it is not run again.
            Turn.objects.filter(id=turn.id).update(redo=False)
        answer = answer_text(execution) if execution.status == ExecStatus.COMPLETED else None
        record(room, TURN_COMPLETED, {
            **_turn_fields(turn), "execution_id": str(execution.id), "status": execution.status,
            **({"error_code": execution.error_code} if execution.status == ExecStatus.FAILED else {}),
        })
        if room.status in Room.ENDED_STATUSES:
            return
        if room.mode == Room.Mode.SEQUENTIAL and answer is not None:
            _add_answer(room, turn, answer)
        if execution.status == ExecStatus.FAILED and room.on_turn_failure == Room.OnTurnFailure.FAIL:
            return _end(room, Status.FAILED, "turn_failed")
        if room.mode == Room.Mode.SEQUENTIAL and _says_stop(room, answer):
            return _finish_round(room, stop_phrase=True)
        advance(room)


def sweep_rooms():
    """Take in the turns that ended a while ago unseen (their ``run_finished`` was lost), and stop the
    turns still running in an ended room (their stop was lost with its process); how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.AGENTS["PENDING_REDISPATCH_SECONDS"])
    unseen = Turn.objects.filter(
        ended_at=None, execution__status__in=AgentExecution.TERMINAL_STATUSES, execution__completed_at__lt=cutoff
    ).select_related("execution__agent")
    count = 0
    for turn in unseen[:100]:
        turn_ended(turn.execution)
        count += 1
    left_running = Turn.objects.filter(ended_at=None, room__status__in=Room.ENDED_STATUSES, room__ended_at__lt=cutoff)
    for turn in left_running.exclude(execution__status__in=AgentExecution.TERMINAL_STATUSES).select_related(
        "execution"
    )[:100]:
        runs_services.stop_execution(turn.execution)
        count += 1
    return count


def advance(room):
    """Do what the room should do next, from its rows (call it with the room locked; safe to repeat)."""
    if room.status != Status.RUNNING:
        return
    if _running_turns(room):
        return
    missing = _seats_without_turn(room)
    if missing:
        if room.pause_requested:
            return _pause_now(room)
        # Sequential: the next seat; parallel: all of them at once.
        for seat in missing if room.mode == Room.Mode.PARALLEL else missing[:1]:
            try:
                _start_turn(room, seat)
            except PlatformError as error:  # its agent was deactivated, its owner over the start rate...
                record(room, TURN_COMPLETED, {**_seat_fields(room.round, seat), "status": "not_started",
                                              "error_code": error.code})
                return _end(room, Status.FAILED, "turn_not_started")
        return
    _finish_round(room)


def _finish_round(room, stop_phrase=False):
    turns = _final_turns(room)
    if room.mode == Room.Mode.PARALLEL:
        answers = []
        for turn in turns:  # in seat order
            if turn.execution.status == ExecStatus.COMPLETED:
                answer = answer_text(turn.execution)
                _add_answer(room, turn, answer)
                answers.append(answer)
        stop_phrase = any(_says_stop(room, answer) for answer in answers)
    failed = [turn.seat.position for turn in turns if turn.execution.status != ExecStatus.COMPLETED]
    record(room, ROUND_COMPLETED, {"round": room.round, "failed_seats": failed})
    if stop_phrase:
        return _end(room, Status.COMPLETED, "stop_phrase")
    if room.round >= room.max_rounds:
        return _end(room, Status.COMPLETED, "max_rounds")
    Room.objects.filter(id=room.id).update(round=F("round") + 1, updated_at=timezone.now())
    room.round += 1
    advance(room)


def _pause_now(room):
    room.status, room.pause_requested = Status.PAUSED, False
    room.save(update_fields=["status", "pause_requested", "updated_at"])
    record(room, ROOM_PAUSED, {"round": room.round})


def _end(room, status, reason):
    for turn in _running_turns(room):
        _stop_after_commit(turn.execution)
    room.status, room.end_reason, room.ended_at, room.pause_requested = status, reason, timezone.now(), False
    room.save(update_fields=["status", "end_reason", "ended_at", "pause_requested", "updated_at"])
    kind = {Status.COMPLETED: ROOM_COMPLETED, Status.STOPPED: ROOM_STOPPED, Status.FAILED: ROOM_FAILED}[status]
    record(room, kind, {"round": room.round, "reason": reason})


def _stop_after_commit(execution):
    """Stop a turn once the room's row is let go of: an execution's row is locked before its room's
    (``rooms.log``), never the other way round. One lost with its process is stopped by the sweep."""
    if not execution.is_terminal:
        transaction.on_commit(partial(runs_services.stop_execution, execution))


def _start_turn(room, seat):
    execution = runs_services.start_execution(seat.agent, turn_input(room, seat), room=room)
    turn = Turn.objects.create(room=room, seat=seat, round=room.round, execution=execution)
    record(room, TURN_STARTED, {**_turn_fields(turn), "execution_id": str(execution.id)})
    return turn


def turn_input(room, seat):
    """What a seat's turn is given: its instructions, the room's messages so far, and that it is its turn.

    The seat's own earlier answers are the assistant's; every other message
    is the user's side, each answer named by its agent, so the model tells
    the voices apart. Kept within ``THREAD_HISTORY_TOKENS``, the oldest
    dropped first (the task is always kept).
    """
    rows = list(room.messages.select_related("agent").order_by("id"))
    task, answers = rows[0], rows[1:]
    budget = settings.AGENTS["THREAD_HISTORY_TOKENS"] - estimated_tokens(task.content)
    kept = []
    for row in reversed(answers):
        own = row.seat_id == seat.id
        content = row.content if own else f"{row.agent.name if row.agent else 'An agent'}: {row.content}"
        budget -= estimated_tokens(content)
        if budget < 0:
            break
        kept.append({"role": "assistant" if own else "user", "content": content})
    messages = [{"role": "user", "content": task.content}, *reversed(kept)]
    if seat.instructions:
        messages.insert(0, {"role": "system", "content": seat.instructions})
    turn = f"Round {room.round} of {room.max_rounds}: it is your turn, {seat.agent.name}."
    return {"message": turn, "messages": messages}


# --- Reads of the round under way ---------------------------------------------------------


def _round_turns(room):
    """The latest turn of each seat in the room's round (a turn run again replaces the stopped one)."""
    turns = Turn.objects.filter(room=room, round=room.round).select_related("seat__agent", "execution")
    return {turn.seat_id: turn for turn in turns.order_by("id")}


def _running_turns(room):
    """The turns whose end the room has not taken in yet: an ended run counts until its hook has claimed it,
    so no next turn starts before the answer it must see has joined the room."""
    return list(Turn.objects.filter(room=room, ended_at=None).select_related("execution"))


def _seats_without_turn(room):
    """The seats of the round that have yet to take their turn (or must take it again), in position order."""
    latest = _round_turns(room)
    return [
        seat for seat in room.seats.select_related("agent").order_by("position")
        if seat.id not in latest or latest[seat.id].redo
    ]


def _final_turns(room):
    latest = _round_turns(room)
    return sorted(latest.values(), key=lambda turn: turn.seat.position)


def _add_answer(room, turn, answer):
    RoomMessage.objects.create(
        room=room, round=turn.round, seat=turn.seat, agent=turn.seat.agent, execution=turn.execution,
        role=RoomMessage.Role.ASSISTANT, content=answer,
    )


def _says_stop(room, answer):
    return bool(room.stop_phrase and answer and room.stop_phrase.lower() in answer.lower())


def _turn_fields(turn):
    return _seat_fields(turn.round, turn.seat)


def _seat_fields(round_number, seat):
    return {"round": round_number, "seat": seat.position, "agent_id": str(seat.agent_id), "agent_name": seat.agent.name}

