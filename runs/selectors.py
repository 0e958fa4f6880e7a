"""Reads that carry rules: who may see which executions, and events in seq order."""

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from contract.events import TERMINAL_TYPES

from . import event_store
from .events import event_message
from .models import AgentEvent, AgentExecution, Interrupt


def executions_visible_to(user):
    """A user sees the executions of their own agents; staff see everyone's."""
    executions = AgentExecution.objects.all()
    if not user.is_staff:
        executions = executions.filter(agent__owner=user)
    return executions


def search_runs(executions, text):
    """The executions whose input or error message holds ``text`` (case ignored).

    A scan of the rows the other filters leave (no text index): narrow by
    status, agent or time first on a large history.
    """
    return executions.annotate(input_text=Cast("input_data", TextField())).filter(
        Q(input_text__icontains=text) | Q(error_message__icontains=text)
    )


def interrupts_visible_to(user):
    """The interrupts of the executions a user sees."""
    return Interrupt.objects.filter(execution__in=executions_visible_to(user)).select_related(
        "execution__agent", "answered_by"
    )


def answered_interrupt(execution_id):
    """The interrupt a run resumes from: its newest answered one (None if it never was)."""
    answered = Interrupt.objects.filter(execution_id=execution_id, answered_at__isnull=False)
    return answered.order_by("-created_at").first()


def open_interrupt(execution_id):
    """The unanswered interrupt a waiting execution waits on, or None."""
    return (
        Interrupt.objects.filter(
            execution_id=execution_id, answered_at=None, execution__status=AgentExecution.Status.WAITING_INPUT
        )
        .order_by("-created_at")
        .first()
    )


def event_messages_after(execution_id, after_seq, limit, before_seq=None):
    """The wire messages of stored events with after_seq < seq < before_seq, in seq order.

    Reads plain values in plain SQL (``event_store.read_events``): replaying
    ten thousand events to a reconnecting client must take well under a
    second.
    """
    return [
        event_message(execution_id, seq, event_type, content, timestamp)
        for seq, event_type, content, timestamp in event_store.read_events(execution_id, after_seq, limit, before_seq)
    ]


def is_stored_event(execution_id, seq, event_type):
    """Whether the database holds this event: what a live message claims is checked against it."""
    return AgentEvent.objects.filter(execution_id=execution_id, seq=seq, event_type=event_type).exists()


def is_stop_requested(execution_id):
    return AgentExecution.objects.filter(id=execution_id, stop_requested_at__isnull=False).exists()


def next_thread_run(thread_id, after=None):
    """The ``(created_at, id)`` place of the thread's run after ``after`` (one such place; None: its first), or None.

    A thread's runs take their turns in the order they were created (its
    queue's order); the id breaks a tie of equal creation times.
    """
    runs = AgentExecution.objects.filter(thread_id=thread_id)
    if after is not None:
        created_at, execution_id = after
        runs = runs.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=execution_id))
    return runs.order_by("created_at", "id").values_list("created_at", "id").first()


def thread_run_state(thread_id, execution_id, seq):
    """Where a stream's cursor left a run of the thread: ``(state, created_at)``.

    ``state`` is "gone" (deleted: ``created_at`` None), "ended" (``seq`` is
    its terminal event) or "open"; ``created_at`` is the stored one, which a
    cursor only repeats.
    """
    created_at = AgentExecution.objects.filter(thread_id=thread_id, id=execution_id).values_list(
        "created_at", flat=True
    ).first()
    if created_at is None:
        return "gone", None
    ended = AgentEvent.objects.filter(execution_id=execution_id, seq=seq, event_type__in=TERMINAL_TYPES).exists()
    return ("ended" if ended else "open"), created_at


def thread_run_exists(thread_id, execution_id):
    return AgentExecution.objects.filter(thread_id=thread_id, id=execution_id).exists()
