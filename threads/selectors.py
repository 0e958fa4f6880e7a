"""Reads that carry rules: whose threads, their status, the history a run is given, metadata matches."""

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.fields.json import KeyTransform

from runs.models import AgentExecution

from .models import Message, Thread

Status = AgentExecution.Status


def threads_visible_to(user):
    """A user sees their own threads; staff see everyone's. Each comes with its status."""
    threads = Thread.objects.all()
    if not user.is_staff:
        threads = threads.filter(owner=user)
    return with_status(threads)


def with_status(threads):
    """Annotate ``status`` from the threads' runs (see ``Thread``): interrupted, busy, error or idle.

    Interrupted while its run waits for an unanswered interrupt; busy while
    any run is active (an answered one waits only for a worker).
    """
    runs = AgentExecution.objects.filter(thread=OuterRef("pk"))
    last_ended = runs.filter(status__in=AgentExecution.TERMINAL_STATUSES).order_by("-completed_at")
    return threads.annotate(last_status=Subquery(last_ended.values("status")[:1])).annotate(
        status=Case(
            When(
                Exists(runs.filter(status=Status.WAITING_INPUT, dispatched_at=None)),
                then=Value(Thread.Status.INTERRUPTED),
            ),
            When(Exists(runs.filter(status__in=AgentExecution.ACTIVE_STATUSES)), then=Value(Thread.Status.BUSY)),
            When(Q(last_status=Status.FAILED), then=Value(Thread.Status.ERROR)),
            default=Value(Thread.Status.IDLE),
        )
    )


def history_for(execution):
    """The conversation before this run's message, as the runtimes take it (``messages``).

    The user's and the assistant's messages of the earlier turns, oldest
    first, within ``THREAD_HISTORY_TOKENS`` (oldest dropped first; the
    runtime adds the agent's system prompt, which is always kept). Tokens are
    estimated at four characters each: the platform does not know the
    model's tokenizer, and the estimate only has to keep a prompt in bounds.
    """
    turn = run_turn(execution)
    if turn is None:
        return []
    earlier = (
        Message.objects.filter(thread_id=execution.thread_id, turn__lt=turn)
        .filter(role__in=[Message.Role.USER, Message.Role.ASSISTANT])
        .exclude(content="")
        .order_by("-turn", "-id")
        .values_list("role", "content")
    )
    budget = settings.AGENTS["THREAD_HISTORY_TOKENS"]
    kept = []
    for role, content in earlier.iterator():
        budget -= estimated_tokens(content)
        if budget < 0:
            break
        kept.append({"role": role, "content": content})
    return kept[::-1]


def run_turn(execution):
    """The turn of the user message a run answers, or None (rolled back with it)."""
    return Message.objects.filter(execution=execution, role=Message.Role.USER).values_list("turn", flat=True).first()


def estimated_tokens(text):
    return len(text) // 4 + 4  # a few for the role and the message's framing


def with_metadata(queryset, wanted):
    """The rows whose ``metadata`` has each key of ``wanted`` with its value.

    Each key is one key, whatever it holds (``a__b``, ``contains``): not a
    path or a lookup, as it would be spelled into a ``filter()``.
    """
    for index, (key, value) in enumerate((wanted or {}).items()):
        queryset = queryset.alias(**{f"_metadata_{index}": KeyTransform(key, "metadata")})
        queryset = queryset.filter(**{f"_metadata_{index}": value})
    return queryset
