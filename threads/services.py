"""Conversations: posting a message (which starts a run, as the thread's strategy says), deleting a thread.

A message and the run it starts are one transaction: refused (the thread
is busy, the agent inactive, the start rate passed), neither is stored. The
thread's row is locked while a message is posted, so the messages of one
thread get their turns, and their runs their places in the queue, in the
order they came in, whichever api process took them. It is locked
``FOR NO KEY UPDATE``: a run's worker storing its answer only takes the key
share lock that a message's foreign key needs, so the two never wait on
each other in opposite orders.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contract.errors import PlatformError
from contract.interrupts import InvalidAnswer, answer_from_message
from runs import selectors as runs_selectors
from runs import services as runs_services
from runs.models import AgentExecution

from .models import Message, MultitaskStrategy, Thread
from .selectors import run_turn

UNFINISHED = (AgentExecution.Status.QUEUED, *AgentExecution.ACTIVE_STATUSES)


def post_message(thread, content, *, multitask_strategy=None, user=None, agent=None):
    """Append the user's message and start the run that answers it; returns (message, execution).

    ``multitask_strategy`` (else the thread's) says what happens while
    earlier runs are unfinished: ``reject`` refuses with ``ThreadBusy``
    (409); ``enqueue`` queues the run behind them; ``interrupt`` stops them
    (kept, as stopped) and ``rollback`` stops and deletes them with their
    messages, and the new run starts as soon as they have ended.

    While the thread's run waits for a person, the message is the answer
    (the text of an ``ask_human``, the reason of a rejected tool call), by
    ``user``, and that run goes on; unless the strategy is ``interrupt`` or
    ``rollback``, which end it as they would a running one.

    The run is with ``agent`` when given (a thread without one yet takes
    it as its own), else with the thread's.
    """
    strategy = multitask_strategy or thread.multitask_strategy
    with transaction.atomic():
        # Only the thread's row is locked: its agent is joined outer (a thread
        # may have none yet), and PostgreSQL locks no nullable side of a join.
        locked = Thread.objects.select_for_update(no_key=True, of=("self",)).select_related("agent").get(id=thread.id)
        if agent is None and locked.agent is None:
            raise ThreadWithoutAgent()
        unfinished = list(AgentExecution.objects.filter(thread=locked, status__in=UNFINISHED))
        if strategy not in (MultitaskStrategy.INTERRUPT, MultitaskStrategy.ROLLBACK):
            answered = _answer_waiting_run(locked, unfinished, content, user)
            if answered is not None:
                return answered
        if strategy == MultitaskStrategy.INTERRUPT:
            for execution in unfinished:
                runs_services.stop_execution(execution)
        elif strategy == MultitaskStrategy.ROLLBACK:
            roll_back(unfinished)
        if locked.agent is None:
            locked.agent = agent
            Thread.objects.filter(id=locked.id).update(agent=agent)
        execution = runs_services.start_thread_run(
            locked, {"message": content}, may_wait=strategy != MultitaskStrategy.REJECT, agent=agent
        )
        Thread.objects.filter(id=locked.id).update(last_turn=F("last_turn") + 1, updated_at=timezone.now())
        locked.refresh_from_db(fields=["last_turn", "updated_at"])
        message = Message.objects.create(
            thread=locked, execution=execution, turn=locked.last_turn, role=Message.Role.USER, content=content
        )
    return message, execution


class ThreadWithoutAgent(PlatformError):
    code = "thread_without_agent"
    status = 409

    def __init__(self):
        super().__init__("This thread has no agent yet: its first run must name one.")


def roll_back(executions):
    """Delete unfinished runs of a thread with the messages of their turns (stopping any that still run)."""
    Message.objects.filter(execution__in=executions).delete()
    for execution in executions:
        runs_services.discard_execution(execution.id)


def _answer_waiting_run(thread, unfinished, content, user):
    """(message, execution) when the message answered the interrupt a run of the thread waits on, else None."""
    for execution in unfinished:
        if execution.status != AgentExecution.Status.WAITING_INPUT:
            continue
        interrupt = runs_selectors.open_interrupt(execution.id)
        if interrupt is None:
            continue
        try:
            message = answer_run(thread, interrupt, answer_from_message(interrupt.kind, content), content, user)
        except InvalidAnswer as error:
            raise PlatformError(error.message, error.code, fields={"content": [error.message]}) from None
        return message, execution
    return None


def answer_run(thread, interrupt, answer, content, user):
    """Answer the interrupt a run of ``thread`` waits on; ``content`` joins the conversation as the user's message.

    Call it in a transaction (the message and the answer are one).
    """
    execution = interrupt.execution
    runs_services.answer_interrupt(interrupt, answer, user)
    Thread.objects.filter(id=thread.id).update(updated_at=timezone.now())
    # The run's own turn: the answer comes after its question, and before its reply.
    turn = run_turn(execution) or thread.last_turn
    return Message.objects.create(
        thread=thread, execution=execution, turn=turn, role=Message.Role.USER, content=content,
        data={"answers": str(interrupt.id)},
    )


def delete_thread(thread):
    """Stop the thread's unfinished runs and delete it with its messages; its runs stay in the audit trail."""
    with transaction.atomic():
        # Locked for update (not only "no key"): no message is posted while the delete collects its rows.
        Thread.objects.select_for_update().filter(id=thread.id).first()
        for execution in AgentExecution.objects.filter(thread=thread, status__in=UNFINISHED):
            runs_services.stop_execution(execution)
        thread.delete()


def continue_thread(execution):
    """run_finished receiver: a run of the thread ended, so its next queued run may start."""
    runs_services.start_next_in_thread(execution.thread_id)
