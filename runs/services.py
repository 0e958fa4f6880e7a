"""Every write with side effects: starting, claiming, recording, stopping, finishing, sweeping.

Each status change is one conditional UPDATE on the current status inside a
transaction that also stores the change's event, so two processes racing for
the same execution (a worker finishing it, a user stopping it, the reaper
failing it) cannot both win, and a terminal execution never gets another
event. Broadcasts and task enqueues happen only after commit.

The database is the queue of record: a task message in Redis only says
"look at this execution". A pending execution whose message was lost (Redis
restarted, the enqueue failed) is sent again by the sweep, and a run lost
before its first agent event is started again (``give_up_execution``).
"""

import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from config.throttling import check_start_quota
from contract.errors import PlatformError
from contract.interrupts import check_answer
from ops import metrics
from realtime.publish import publish, wake_workers_to_stop
from threads.replies import record_question, record_reply

from . import event_store, events, hooks, selectors
from .models import AgentEvent, AgentExecution, Interrupt

logger = logging.getLogger(__name__)

Status = AgentExecution.Status

WORKER_LOST_MESSAGE = "The worker running this execution stopped responding."


def _lease_until(now):
    return now + timedelta(seconds=settings.AGENTS["LEASE_SECONDS"])


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def claimed_here():
    """The condition of every write a worker makes for a run it claimed.

    A run given up while its worker was frozen (SIGSTOP, a long pause) may be
    running again on another worker when the first one wakes: the first one's
    events, lease renewals and outcome must then change nothing.
    """
    return {"worker": worker_name()}


# --- Starting ------------------------------------------------------------------------


class AgentInactive(PlatformError):
    """An inactive agent cannot be started."""

    code = "agent_inactive"
    status = 409
    MESSAGE = "This agent is inactive; activate it to run it."

    def __init__(self):
        super().__init__(self.MESSAGE, fields={"status": [self.MESSAGE]})


def start_execution(agent, input_data, *, wait_for_slot=True, room=None, rerun_of=None):
    """Create a pending execution and enqueue its run once the row is committed.

    Refused with ``AgentInactive`` (409) for an inactive agent and ``Throttled`` (429) past
    the owner's start rate, whichever way the start came in; with
    ``wait_for_slot=False``, also ``ConcurrencyLimit`` (429) when the owner's
    runs take every slot (otherwise it waits its turn). Accepted even
    while the broker is down: the row is committed, and the sweep sends its
    task once the broker is back. ``room``: the room it is a turn of; ``rerun_of``: the execution it runs again.
    """
    check_may_start(agent)
    if not wait_for_slot:
        check_concurrency(agent.owner_id)
    with transaction.atomic():
        return _create_pending(agent=agent, input_data=input_data, room=room, rerun_of=rerun_of)


def rerun_execution(execution, input_data=None):
    """A new execution of ``execution``'s agent with its input (or ``input_data``), pointing back at it.

    It runs on its own: a run of a thread or a turn of a room runs again with
    what it was given (its history is in its input), without joining the
    thread's queue or the room's rounds again.
    """
    return start_execution(
        execution.agent, execution.input_data if input_data is None else input_data, rerun_of=execution
    )


def check_may_start(agent):
    if not agent.is_active:
        raise AgentInactive()
    check_start_quota(agent.owner_id)


class ThreadBusy(PlatformError):
    code = "thread_busy"
    status = 409

    def __init__(self):
        super().__init__(
            "This thread is already running: wait for its run to end, or send the message with "
            "multitask_strategy enqueue, interrupt or rollback."
        )


def start_thread_run(thread, input_data, *, may_wait, agent=None):
    """Create a run of ``thread`` with ``agent`` (by default the thread's), in the transaction that stores its message.

    Pending when the thread has no active run and none queued; otherwise
    queued behind them when ``may_wait``, or refused with ``ThreadBusy``. The
    partial unique index on active runs decides, not a read before the
    insert: of two processes starting a run of an idle thread at once, one
    gets the index's refusal.
    """
    agent = agent or thread.agent
    check_may_start(agent)
    fields = {"agent": agent, "thread": thread, "input_data": input_data}
    if not AgentExecution.objects.filter(thread=thread, status=Status.QUEUED).exists():
        try:
            with transaction.atomic():
                return _create_pending(**fields)
        except IntegrityError:
            pass  # another run of the thread is active
    if not may_wait:
        raise ThreadBusy()
    execution = AgentExecution.objects.create(status=Status.QUEUED, **fields)
    # The thread's streams hear of it (a rolled-back run they followed is gone).
    transaction.on_commit(partial(_broadcast_status, execution))
    return execution


def _create_pending(**fields):
    execution = AgentExecution.objects.create(dispatched_at=timezone.now(), **fields)
    _dispatch_on_commit(execution)
    return execution


def _dispatch_on_commit(execution):
    transaction.on_commit(partial(dispatch, execution.id))
    transaction.on_commit(partial(_broadcast_status, execution))


def start_next_in_thread(thread_id):
    """Start the oldest queued run of a thread whose runs have all ended; returns it, or None.

    Called when a run of the thread finishes (``run_finished``) and by the
    sweep, so a lost hook delays the queue by one sweep at most. Safe to call
    any number of times from any process: the move is conditional, and the
    unique index refuses a second active run.
    """
    queued = (
        AgentExecution.objects.filter(thread_id=thread_id, status=Status.QUEUED)
        .order_by("created_at")
        .values_list("id", flat=True)
        .first()
    )
    if queued is None:
        return None
    try:
        with transaction.atomic():
            moved = AgentExecution.objects.filter(id=queued, status=Status.QUEUED).update(
                status=Status.PENDING, dispatched_at=timezone.now()
            )
            if not moved:
                return None
            execution = AgentExecution.objects.get(id=queued)
            _dispatch_on_commit(execution)
    except IntegrityError:
        return None  # a run of the thread is still active: it starts this one when it ends
    return execution


def discard_execution(execution_id):
    """Delete an unfinished execution and its events (a rolled-back run of a thread).

    A worker running it finds the row gone at its next write and ends the
    run (closing the agent server's stream); it is woken to do so at once.
    """
    with transaction.atomic():
        # Locked first: a worker stores events only under this lock, so none
        # can come in after the delete has collected the run's events.
        status = (
            AgentExecution.objects.select_for_update().filter(id=execution_id).values_list("status", flat=True).first()
        )
        if status is None:
            return
        AgentExecution.objects.filter(id=execution_id).delete()
        if status == Status.RUNNING:
            transaction.on_commit(partial(wake_workers_to_stop, execution_id))


def dispatch(execution_id):
    """Send the task that runs a pending execution; False when the broker refused it.

    Never raises: the execution is committed, and one whose message is not
    sent (or is lost later) is sent again by ``redispatch_pending``.
    """
    from .tasks import run_execution

    try:
        run_execution.delay(str(execution_id))
    except Exception as exc:
        logger.warning("Could not send the task of execution %s (%r); the sweep sends it again", execution_id, exc)
        return False
    return True


def claim_execution(execution_id):
    """Move a pending (or an answered waiting) execution to running for this worker, or return None.

    A redelivered or duplicated task finds the execution no longer claimable
    and gets None, so a run never happens twice. Nor is one of an owner
    already running ``MAX_RUNNING_PER_USER`` runs claimed: it is parked
    (``_admitted``). A waiting execution whose
    interrupt was answered (``dispatched_at`` set) is resumed: its event is
    ``execution_resumed``, and its run request carries the answer.
    """
    now = timezone.now()
    claim = {"to_status": Status.RUNNING, "lease_expires_at": _lease_until(now), "worker": worker_name()}
    with transaction.atomic():
        if not _admitted(execution_id):
            return None
        started = _transition(
            execution_id,
            from_statuses=[Status.PENDING],
            event_type=events.EXECUTION_STARTED,
            content=_started_content,
            started_at=now,
            **claim,
        )
        if started is not None:
            return started
        return _transition(
            execution_id,
            from_statuses=[Status.WAITING_INPUT],
            only_if={"dispatched_at__isnull": False},
            event_type=events.EXECUTION_RESUMED,
            content=lambda execution: {"interrupt_id": str(selectors.answered_interrupt(execution.id).id)},
            **claim,
        )


def _started_content(execution):
    if execution.attempt == 1:
        return {"input_data": execution.input_data}
    return {"input_data": execution.input_data, "attempt": execution.attempt}


# --- Per-user concurrency ----------------------------------------------------------------
#
# At most MAX_RUNNING_PER_USER runs of one owner are running at once. The
# claim decides, under a lock of the owner's row (SQLite's IMMEDIATE
# transactions serialize it anyway): one over the limit, or behind an older
# parked run of the owner, is not claimed but parked (``parked_at``), still
# pending. Whenever a run of that owner leaves ``running``, the oldest parked
# one is dispatched (``admit_parked``, after commit); the sweep does the
# same for any owner with parked runs and a free slot, should that be lost.


class ConcurrencyLimit(PlatformError):
    code = "concurrency_limit"
    status = 429

    def __init__(self, limit):
        super().__init__(
            f"You already have {limit} runs running or about to run, the most at once; wait for one to end, "
            'or start it with "on_limit": "wait" to have it wait its turn.'
        )


CLAIMABLE_STATUSES = (Status.PENDING, Status.WAITING_INPUT)


def check_concurrency(owner_id):
    """``ConcurrencyLimit`` (429) when the owner's runs fill every slot: for a start that asked not to wait."""
    limit = settings.AGENTS["MAX_RUNNING_PER_USER"]
    if not limit:
        return
    owned = AgentExecution.objects.filter(agent__owner_id=owner_id)
    busy = owned.filter(Q(status=Status.RUNNING) | Q(status=Status.PENDING, parked_at=None)).count()
    if busy >= limit or owned.filter(status__in=CLAIMABLE_STATUSES, parked_at__isnull=False).exists():
        raise ConcurrencyLimit(limit)


def _admitted(execution_id):
    """Whether this claim may proceed; if not, the execution is parked until a slot is free."""
    limit = settings.AGENTS["MAX_RUNNING_PER_USER"]
    if not limit:
        return True
    row = (
        AgentExecution.objects.filter(id=execution_id, status__in=CLAIMABLE_STATUSES)
        .values("agent__owner_id", "created_at")
        .first()
    )
    if row is None:
        return True  # not claimable: the claim finds that out
    owner_id = row["agent__owner_id"]
    list(get_user_model().objects.select_for_update().filter(id=owner_id).values_list("id"))
    owned = AgentExecution.objects.filter(agent__owner_id=owner_id)
    full = owned.filter(status=Status.RUNNING).count() >= limit
    older_parked = (
        owned.filter(status__in=CLAIMABLE_STATUSES, parked_at__isnull=False, created_at__lt=row["created_at"])
        .exclude(id=execution_id)
        .exists()
    )
    if not full and not older_parked:
        AgentExecution.objects.filter(id=execution_id, parked_at__isnull=False).update(parked_at=None)
        return True
    AgentExecution.objects.filter(id=execution_id, parked_at=None).update(parked_at=timezone.now())
    if not full:
        admit_parked(owner_id)  # the free slot is the oldest one's
    return False


def admit_parked(owner_id):
    """Dispatch the owner's oldest parked run (its claim checks the limit again); returns its id, or None."""
    oldest = (
        AgentExecution.objects.filter(
            agent__owner_id=owner_id, status__in=CLAIMABLE_STATUSES, parked_at__isnull=False
        )
        .order_by("created_at")
        .values_list("id", "parked_at")
        .first()
    )
    if oldest is None:
        return None
    execution_id, parked_at = oldest
    if not AgentExecution.objects.filter(id=execution_id, parked_at=parked_at).update(
        parked_at=None, dispatched_at=timezone.now()
    ):
        return None  # another process woke it
    transaction.on_commit(partial(dispatch, execution_id))
    return execution_id


def _has_parked(owner_id):
    return AgentExecution.objects.filter(
        agent__owner_id=owner_id, status__in=CLAIMABLE_STATUSES, parked_at__isnull=False
    ).exists()


def _admit_after_commit(owner_id):
    """A run of the owner left running: its slot goes to the oldest parked run, off the caller's thread."""
    _enqueuer.submit(_admit_in_background, owner_id)


def _admit_in_background(owner_id):
    try:
        with transaction.atomic():
            admit_parked(owner_id)
    except Exception:
        logger.exception("Could not start a parked run of user %s; the sweep will", owner_id)
    finally:
        # A thread of its own: its connection would otherwise outlive every request.
        connection.close()


def admit_stalled_parked(limit=500):
    """Dispatch the oldest parked run of each owner with a free slot (a lost wake-up); returns how many."""
    owners = (
        AgentExecution.objects.filter(status__in=CLAIMABLE_STATUSES, parked_at__isnull=False)
        .values_list("agent__owner_id", flat=True)
        .distinct()[:limit]
    )
    slots = settings.AGENTS["MAX_RUNNING_PER_USER"]
    woken = 0
    for owner_id in list(owners):
        running = AgentExecution.objects.filter(agent__owner_id=owner_id, status=Status.RUNNING).count()
        if slots and running >= slots:
            continue
        with transaction.atomic():
            woken += admit_parked(owner_id) is not None
    return woken


# --- While running ---------------------------------------------------------------------


def record_events(execution_id, pending):
    """Store one execution's events; False when it is no longer running (nothing stored)."""
    return execution_id not in record_event_batches({execution_id: pending})


def record_event_batches(batches):
    """Store the events of many running executions in one transaction; broadcast each batch.

    ``batches`` maps execution ids to lists of PendingEvent. Each execution's
    events get its next seqs and go out as one channel-layer message after
    commit. Returns the ids that are no longer running: their events are
    dropped (a terminal execution never gets another event) and their runs
    should end. Storing also renews the leases.

    Three statements whatever the number of executions (``event_store``):
    lock the running rows, insert every event, advance every last_seq.
    """
    now = timezone.now()
    pending_by_id = {str(execution_id): pending for execution_id, pending in batches.items()}
    with transaction.atomic():
        # The row locks keep the reaper and stop requests out until commit,
        # and make the seqs read here ours to use.
        locked = event_store.lock_running(list(batches), worker_name())
        rows, new_last_seqs, rooms = [], {}, {}
        for execution_id, (last_seq, room_id) in locked.items():
            pending = pending_by_id[str(execution_id)]
            rows.extend(
                (execution_id, last_seq + offset, event) for offset, event in enumerate(pending, start=1)
            )
            new_last_seqs[execution_id] = last_seq + len(pending)
            if room_id is not None:
                rooms[execution_id] = room_id
        if rows:
            event_store.insert_events(rows)
            event_store.advance_executions(new_last_seqs, _lease_until(now))
            _write_memories(rows)
            broadcasts = _event_broadcasts(rows)
            if rooms:
                broadcasts.extend(_enter_in_rooms(rows, rooms))
            transaction.on_commit(partial(publish, broadcasts))
            transaction.on_commit(partial(metrics.events_stored, len(rows)), robust=True)
    running = {str(execution_id) for execution_id in locked}
    return {execution_id for execution_id in batches if str(execution_id) not in running}


def _write_memories(rows):
    """The memory items that ``memory`` events name, written with the events (one transaction: they agree)."""
    memories = [(execution_id, event) for execution_id, _seq, event in rows if event.event_type == events.MEMORY]
    if not memories:
        return
    from memory.services import write_from_run

    owners = dict(
        AgentExecution.objects.filter(id__in={execution_id for execution_id, _ in memories}).values_list(
            "id", "agent__owner_id"
        )
    )
    for execution_id, event in memories:
        write_from_run(execution_id, owners[execution_id], event.content)


def _enter_in_rooms(rows, rooms):
    """The events of turns of rooms, in their rooms' logs (with the rows still locked); their broadcasts.

    ``rooms`` maps the turns' execution ids to their rooms' ids.
    """
    from rooms.log import append_turn_events

    return append_turn_events([
        (rooms[execution_id], execution_id, seq, event.event_type, event.timestamp,
         events.event_message(execution_id, seq, event.event_type, event.content, event.timestamp))
        for execution_id, seq, event in rows if execution_id in rooms
    ])


def _event_broadcasts(rows):
    """One message per execution carrying its events, in seq order."""
    by_execution = {}
    for execution_id, seq, event in rows:
        by_execution.setdefault(execution_id, []).append(
            events.event_message(execution_id, seq, event.event_type, event.content, event.timestamp)
        )
    return [
        (events.execution_group(execution_id), events.events_broadcast(messages))
        for execution_id, messages in by_execution.items()
    ]


def renew_leases(execution_ids):
    """Extend the leases of running executions; returns {id: stop requested?} for those still running."""
    running = AgentExecution.objects.filter(id__in=list(execution_ids), status=Status.RUNNING, **claimed_here())
    running.update(lease_expires_at=_lease_until(timezone.now()))
    return {str(execution_id): stop is not None for execution_id, stop in running.values_list("id", "stop_requested_at")}


# --- Ending ----------------------------------------------------------------------------


def complete_execution(execution_id, output):
    """Complete a running execution; a run of a thread stores its reply in the same transaction."""
    complete = partial(
        _transition,
        execution_id,
        from_statuses=[Status.RUNNING],
        to_status=Status.COMPLETED,
        event_type=events.EXECUTION_COMPLETED,
        content={"output": output},
        only_if=claimed_here(),
        output_data=output,
        completed_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            execution = complete()
            if execution is not None and execution.thread_id:
                # Whoever sees the run completed finds its answer in the conversation.
                record_reply(execution)
    except IntegrityError:
        # The thread was deleted while the reply was stored (its foreign key
        # is checked at commit): the run completes all the same, thread-less now.
        execution = complete()
    return execution


def fail_execution(execution_id, message, code, only_if=None):
    """Fail a running execution; by default only one that this process claimed."""
    return _transition(
        execution_id,
        from_statuses=[Status.RUNNING],
        to_status=Status.FAILED,
        event_type=events.EXECUTION_ERROR,
        content={"message": message, "code": code},
        only_if=claimed_here() if only_if is None else only_if,
        error_message=message,
        error_code=code,
        completed_at=timezone.now(),
    )


def stop_execution(execution):
    """Ask for an execution to stop; safe to call any number of times, from any process.

    A pending, queued or waiting execution is stopped at once. A running one is marked, and its
    worker is woken through Redis (it also checks the mark on every
    heartbeat); the worker then closes the agent server's stream and writes
    ``execution_stopped``. A terminal execution is left as it is.
    """
    now = timezone.now()
    for from_statuses, message in (
        ([Status.PENDING, Status.QUEUED], "Stopped before it started."),
        ([Status.WAITING_INPUT], "Stopped while it waited for an answer."),
    ):
        stopped = _transition(
            execution.id,
            from_statuses=from_statuses,
            to_status=Status.STOPPED,
            event_type=events.EXECUTION_STOPPED,
            content={"message": message},
            stop_requested_at=now,
            completed_at=now,
        )
        if stopped:
            return stopped
    with transaction.atomic():
        AgentExecution.objects.filter(id=execution.id, status=Status.RUNNING, stop_requested_at=None).update(
            stop_requested_at=now
        )
        # Wake the worker even if the mark was already set: a repeated stop is
        # how a user retries when the first wake-up was lost.
        if AgentExecution.objects.filter(id=execution.id, status=Status.RUNNING).exists():
            transaction.on_commit(partial(wake_workers_to_stop, execution.id))
    execution.refresh_from_db()
    return execution


def confirm_stopped(execution_id):
    """The worker has closed the run of an execution whose stop was requested."""
    return _transition(
        execution_id,
        from_statuses=[Status.RUNNING],
        to_status=Status.STOPPED,
        event_type=events.EXECUTION_STOPPED,
        content={"message": "Stopped on request."},
        only_if=claimed_here(),
        completed_at=timezone.now(),
    )


def give_up_execution(execution_id, *, code, message, only_if=None):
    """End this run of a running execution that its worker cannot carry on.

    When no agent event was stored since the claim, the agent has done
    nothing anyone saw, so the execution goes back to pending (or, resumed
    from an interrupt, to waiting with its answer) (``attempt`` + 1, an
    ``execution_requeued`` event) and is dispatched again, up to
    ``MAX_ATTEMPTS`` runs and unless a stop was requested. Otherwise it fails
    with ``code``. Returns the execution, or None when it was not running
    (or not matching ``only_if``).
    """
    only_if = only_if or {}
    row = (
        AgentExecution.objects.filter(id=execution_id, status=Status.RUNNING, **only_if)
        .values("last_seq", "attempt", "stop_requested_at")
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    claimed_with = (
        AgentEvent.objects.filter(execution_id=execution_id, seq=row["last_seq"])
        .values_list("event_type", flat=True)
        .first()
    )
    if (
        row["attempt"] < settings.AGENTS["MAX_ATTEMPTS"]
        and row["stop_requested_at"] is None
        and claimed_with in (events.EXECUTION_STARTED, events.EXECUTION_RESUMED)
    ):
        requeued = _transition(
            execution_id,
            from_statuses=[Status.RUNNING],
            # A resumed run goes back to waiting, answered, so that it is resumed again.
            to_status=Status.PENDING if claimed_with == events.EXECUTION_STARTED else Status.WAITING_INPUT,
            event_type=events.EXECUTION_REQUEUED,
            content={"attempt": row["attempt"] + 1, "code": code, "message": message},
            # Still as read: no event stored and no stop requested in between.
            only_if={**only_if, "last_seq": row["last_seq"], "stop_requested_at": None},
            attempt=F("attempt") + 1,
            dispatched_at=now,
            lease_expires_at=None,
            worker="",
        )
        if requeued:
            transaction.on_commit(partial(dispatch, execution_id))
            return requeued
    return fail_execution(execution_id, message, code, only_if=only_if)


# --- Waiting for a person --------------------------------------------------------------


class AlreadyAnswered(PlatformError):
    code = "already_answered"
    status = 409

    def __init__(self):
        super().__init__("This interrupt was already answered; the first answer counts.")


class InterruptClosed(PlatformError):
    code = "interrupt_closed"
    status = 409

    def __init__(self, execution_status):
        super().__init__(f"The run no longer waits for this answer: it is {execution_status}.")


def interrupt_execution(execution_id, kind, payload, state):
    """Park a running execution until a person answers: an ``Interrupt``, status waiting_input.

    The run has left its worker (its stream is closed), so the execution
    gives up its lease and its worker; its task resumes it once answered
    (``answer_interrupt``). A stop requested meanwhile wins: the run is
    stopped instead. A run of a thread shows a question in its conversation.
    """
    interrupt_id = uuid.uuid4()
    content = {"interrupt": {"id": str(interrupt_id), "kind": kind, "payload": payload}}
    with transaction.atomic():
        execution = _transition(
            execution_id,
            from_statuses=[Status.RUNNING],
            to_status=Status.WAITING_INPUT,
            event_type=events.EXECUTION_INTERRUPTED,
            content=content,
            only_if={**claimed_here(), "stop_requested_at": None},
            lease_expires_at=None,
            worker="",
            dispatched_at=None,
        )
        if execution is None:
            return confirm_stopped(execution_id)
        timeout = timedelta(seconds=settings.AGENTS["INTERRUPT_TIMEOUT_SECONDS"])
        interrupt = Interrupt.objects.create(
            id=interrupt_id, execution=execution, kind=kind, payload=payload, state=state,
            expires_at=timezone.now() + timeout,
        )
        if execution.thread_id:
            record_question(execution, interrupt)
    return execution


def answer_interrupt(interrupt, answer, user):
    """Record the answer to an interrupt, once, and send the task that resumes its run.

    ``AlreadyAnswered`` (409) for a second answer, whoever gave the first;
    ``InterruptClosed`` (409) when the run no longer waits (stopped,
    expired); ``InvalidAnswer`` when the answer does not fit the interrupt.
    The execution's row is locked first, as by every other move of it, so
    the answer and a stop or the expiry cannot both win.
    """
    with transaction.atomic():
        execution = AgentExecution.objects.select_for_update().select_related("agent").get(id=interrupt.execution_id)
        interrupt = Interrupt.objects.select_for_update().get(id=interrupt.id)
        if interrupt.answered_at is not None:
            raise AlreadyAnswered()
        if execution.status != Status.WAITING_INPUT or execution.dispatched_at is not None:
            raise InterruptClosed(execution.status)
        interrupt.answer = check_answer(interrupt.kind, interrupt.payload, answer)
        interrupt.answered_by = user
        interrupt.answered_at = timezone.now()
        interrupt.save(update_fields=["answer", "answered_by", "answered_at"])
        execution.dispatched_at = interrupt.answered_at
        execution.save(update_fields=["dispatched_at"])
        _dispatch_on_commit(execution)
    return interrupt


def expire_interrupts(limit=500):
    """Fail each run that waited unanswered past its interrupt's ``expires_at`` (``interrupt_expired``)."""
    now = timezone.now()
    expired = Interrupt.objects.filter(
        expires_at__lt=now, answered_at=None,
        execution__status=Status.WAITING_INPUT, execution__dispatched_at=None,
    ).values_list("execution_id", flat=True)[:limit]
    failed = 0
    for execution_id in list(expired):
        failed += bool(
            _transition(
                execution_id,
                from_statuses=[Status.WAITING_INPUT],
                to_status=Status.FAILED,
                event_type=events.EXECUTION_ERROR,
                content={"message": INTERRUPT_EXPIRED_MESSAGE, "code": INTERRUPT_EXPIRED},
                only_if={"dispatched_at": None},
                error_message=INTERRUPT_EXPIRED_MESSAGE,
                error_code=INTERRUPT_EXPIRED,
                completed_at=now,
            )
        )
    return failed


INTERRUPT_EXPIRED = "interrupt_expired"
INTERRUPT_EXPIRED_MESSAGE = "No one answered the run's question in time."


# --- Sweeping: what no single process can be trusted to do -----------------------------


def sweep_executions():
    """Reap expired leases and re-dispatch stale pending executions; safe in any number of processes at once.

    Every worker and api process runs it every ``REAP_INTERVAL`` (``runs.sweeper``),
    and beat schedules it as a task, so neither a dead lone worker nor a
    lost task message waits for one particular process.
    """
    return {
        "reaped": reap_executions(),
        "redispatched": redispatch_pending(),
        "dequeued": start_stalled_threads(),
        "expired": expire_interrupts(),
        "admitted": admit_stalled_parked(),
        **hooks.sweeps(),
    }


def reap_executions():
    """Give up every running execution whose lease expired: its worker is gone.

    Returns the number reaped. Each is a conditional UPDATE that also checks
    the lease, so a worker renewing at the same moment keeps its execution.
    """
    now = timezone.now()
    expired = AgentExecution.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now).values_list(
        "id", "worker"
    )
    reaped = 0
    for execution_id, worker in list(expired):
        execution = give_up_execution(
            execution_id, code="worker_lost", message=WORKER_LOST_MESSAGE, only_if={"lease_expires_at__lt": now}
        )
        if execution:
            reaped += 1
            logger.warning("Execution %s %s: its worker %s was lost", execution_id, _given_up(execution), worker)
    return reaped


def _given_up(execution):
    return f"started again (attempt {execution.attempt})" if execution.status == Status.PENDING else "failed"


def redispatch_pending(limit=500):
    """Send again the task of each execution pending ``PENDING_REDISPATCH_SECONDS`` since its last dispatch.

    An answered waiting execution counts as pending: its task resumes it.

    Its message may be gone (Redis restarted without it, the enqueue
    failed); if not, the duplicate finds the execution claimed and does
    nothing. A conditional UPDATE of ``dispatched_at`` makes one sweeper of
    many the one that sends it. Stops at the first refusal: the broker is down.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.AGENTS["PENDING_REDISPATCH_SECONDS"])
    stale = (
        AgentExecution.objects.filter(
            Q(status=Status.PENDING, dispatched_at=None, created_at__lt=cutoff)
            | Q(status__in=[Status.PENDING, Status.WAITING_INPUT], dispatched_at__lt=cutoff)
        )
        .filter(parked_at=None)  # waiting for a slot, not for its task: admit_parked sends it
        .order_by("created_at")
        .values_list("id", "status", "dispatched_at")[:limit]
    )
    sent = 0
    for execution_id, status, dispatched_at in list(stale):
        mine = AgentExecution.objects.filter(id=execution_id, status=status, dispatched_at=dispatched_at)
        if not mine.update(dispatched_at=now):
            continue  # another sweeper sent it, or it ran meanwhile
        if not dispatch(execution_id):
            # Due again at the next sweep rather than a whole interval later.
            AgentExecution.objects.filter(id=execution_id, dispatched_at=now).update(dispatched_at=dispatched_at)
            break
        sent += 1
    if sent:
        logger.warning("Sent the tasks of %d pending executions again", sent)
    return sent


def start_stalled_threads(limit=500):
    """Start the next queued run of each thread with none active (its run_finished may have been lost)."""
    active = AgentExecution.objects.filter(thread_id=OuterRef("thread_id"), status__in=AgentExecution.ACTIVE_STATUSES)
    stalled = (
        AgentExecution.objects.filter(status=Status.QUEUED)
        .filter(~Exists(active))
        .values_list("thread_id", flat=True)
        .distinct()[:limit]
    )
    return sum(start_next_in_thread(thread_id) is not None for thread_id in list(stalled))


# --- The one place status changes ----------------------------------------------------------


def _transition(execution_id, *, from_statuses, to_status, event_type, content, only_if=None, **fields):
    """Move an execution from one of ``from_statuses`` to ``to_status`` and record the event.

    ``content`` is the event's content, or a function of the updated
    execution. Returns the updated execution, or None when it was not in one
    of ``from_statuses`` (someone else moved it first).
    """
    with transaction.atomic():
        moved = AgentExecution.objects.filter(
            id=execution_id, status__in=from_statuses, **(only_if or {})
        ).update(status=to_status, last_seq=F("last_seq") + 1, **fields)
        if not moved:
            return None
        # The agent comes along: the worker needs it right after the claim.
        execution = AgentExecution.objects.select_related("agent").get(id=execution_id)
        event = AgentEvent.objects.create(
            execution=execution,
            seq=execution.last_seq,
            event_type=event_type,
            content=content(execution) if callable(content) else content,
            timestamp=timezone.now(),
        )
        transaction.on_commit(partial(_broadcast_event, execution, event))
        transaction.on_commit(partial(metrics.execution_moved, execution, event_type), robust=True)
        if execution.room_id is not None:
            room_sends = _enter_in_rooms([(execution.id, event.seq, event)], {execution.id: execution.room_id})
            transaction.on_commit(partial(publish, room_sends))
        if Status.RUNNING in from_statuses and to_status != Status.RUNNING:
            owner_id = execution.agent.owner_id
            if _has_parked(owner_id):
                transaction.on_commit(partial(_admit_after_commit, owner_id))
        if execution.is_terminal and hooks.run_finished.is_wanted(execution):
            # The one place every end of a run passes: features hook in there (runs.hooks).
            transaction.on_commit(partial(_enqueue_hook, "run_finished", str(execution.id)))
        elif to_status == Status.WAITING_INPUT and hooks.run_paused.is_wanted(execution):
            transaction.on_commit(partial(_enqueue_hook, "run_paused", str(execution.id)))
    return execution


# One thread sends the run_finished (and run_paused) tasks, in order: a worker's event writer
# ends runs, and a broker round trip there for each one would hold up every
# other run's events.
_enqueuer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-finished")


def _enqueue_hook(task_name, execution_id):
    from . import tasks

    task = getattr(tasks, task_name)
    _enqueuer.submit(task.delay, execution_id).add_done_callback(
        partial(_log_enqueue_failure, task_name, execution_id)
    )


def _log_enqueue_failure(task_name, execution_id, future):
    if future.exception() is not None:
        logger.error("Could not enqueue %s for %s: %r", task_name, execution_id, future.exception())


def _broadcast_event(execution, event):
    publish(
        [(events.execution_group(execution.id), events.events_broadcast([events.row_message(event)]))]
        + events.status_sends(execution)
    )


def _broadcast_status(execution):
    publish(events.status_sends(execution))
