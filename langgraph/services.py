"""The LangGraph API's writes, mapped onto the platform's services: threads, runs, resumes, cancels.

A run with ``input`` is the thread's next message (``threads.services.post_message``,
with its multitask strategy); one with ``command.resume`` answers the
interrupt the thread's run waits on (``threads.services.answer_run``) and
is a new LangGraph run of that same execution, from the event where it
paused. Both are one transaction with the ``Run`` row, so the task that
runs it is sent only once the span it streams is known.
"""

from django.db import IntegrityError, transaction

from agents import permissions
from contract.errors import PlatformError
from runs import selectors as runs_selectors
from runs import services as runs_services
from runs.models import AgentExecution
from threads import services as threads_services
from threads.models import Thread

from . import selectors, shapes
from .errors import unprocessable
from .models import Run
from .serializers import RunCreate

HUMAN_ROLES = ("human", "user")


class ThreadExists(PlatformError):
    code = "thread_exists"
    status = 409

    def __init__(self):
        super().__init__("A thread with this id exists already.")


class NothingToResume(PlatformError):
    code = "nothing_to_resume"
    status = 409

    def __init__(self):
        super().__init__("This thread has no run waiting for an answer: there is nothing to resume.")


def not_found(kind, object_id):
    return PlatformError(f"{kind} {object_id} not found.", "not_found", status=404)


def thread_of(user, thread_id):
    """The user's thread, or the 404 the clients expect (someone else's is not found either)."""
    thread = selectors.thread_for(user, thread_id)
    if thread is None:
        raise not_found("Thread", thread_id)
    return thread


def run_of(user, thread_id, run_id):
    """``(run, paused)`` of the user's thread's run, or a 404."""
    found = selectors.run_of_thread(thread_of(user, thread_id), run_id)
    if found is None:
        raise not_found("Run", run_id)
    return found


def create_thread(user, *, thread_id=None, metadata=None, if_exists="raise"):
    """A thread of ``user`` with no agent yet (its first run names one); ``if_exists``: raise (409) or do_nothing."""
    if thread_id is not None:
        existing = Thread.objects.filter(id=thread_id).first()
        if existing is not None:
            # Someone else's id is taken all the same: the conflict says only that.
            if if_exists == "do_nothing" and existing.owner_id == user.pk:
                return existing
            raise ThreadExists()
    try:
        with transaction.atomic():
            return Thread.objects.create(
                owner=user, agent=None, metadata=metadata or {}, **({"id": thread_id} if thread_id else {})
            )
    except IntegrityError:
        raise ThreadExists() from None


def update_metadata(thread, metadata):
    """Merge ``metadata`` into the thread's, as LangGraph's ``PATCH /threads/{id}`` does."""
    with transaction.atomic():
        locked = Thread.objects.select_for_update(no_key=True).get(id=thread.id)
        locked.metadata = {**locked.metadata, **metadata}
        locked.save(update_fields=["metadata", "updated_at"])
    return locked


def start_run(user, thread, agent, request, *, cron=None, fire=None):
    """Start a LangGraph run on ``thread`` with ``agent``; returns the ``Run``.

    ``cron`` and ``fire`` (beat's message id) are those of a cron's fire.

    ``request`` is the validated ``RunCreate`` body. ``ThreadBusy`` (409)
    when the strategy is ``reject`` and the thread is running,
    ``NothingToResume`` for a resume of a thread that waits for nothing,
    and whatever the platform refuses a start with (inactive agent, rate).
    """
    permissions.check_may_change(user, agent.owner_id, permissions.START_EXECUTION)
    permissions.check_may_change(user, thread.owner_id, permissions.POST_MESSAGE)
    strategy = request.get("multitask_strategy") or "enqueue"
    with transaction.atomic():
        command = request.get("command") or {}
        if "resume" in command:
            execution = _resume(user, thread, command["resume"])
        else:
            _, execution = threads_services.post_message(
                thread, request["text"], multitask_strategy=strategy, user=user, agent=agent
            )
        # A run waiting for a person was answered (by the resume, or by the message): its run goes on.
        first = execution.status != AgentExecution.Status.WAITING_INPUT
        # As LangGraph's server does: a client finds the threads of an assistant by their metadata.
        metadata = {**thread.metadata, "graph_id": agent.runtime, "assistant_id": str(agent.id)}
        Thread.objects.filter(id=thread.id).update(metadata=metadata)
        execution.refresh_from_db(fields=["last_seq", "status"])
        return Run.objects.create(
            **({"id": execution.id} if first else {}),
            owner=user, execution=execution, thread=thread,
            # Locked by the answer (or new): nothing of the resumed span is stored before this commits.
            after_seq=0 if first else execution.last_seq,
            metadata=request.get("metadata") or {},
            kwargs=request["kwargs"],
            multitask_strategy=strategy,
            webhook=request.get("webhook") or "",
            cron=cron, fire=fire,
        )


def _resume(user, thread, resume):
    waiting = AgentExecution.objects.filter(thread=thread, status=AgentExecution.Status.WAITING_INPUT)
    for execution in waiting:
        interrupt = runs_selectors.open_interrupt(execution.id)
        if interrupt is None:
            continue
        answer, text = shapes.answer_from_resume(interrupt.kind, resume)
        permissions.check_may_change(user, execution.agent.owner_id, permissions.ANSWER_INTERRUPT)
        locked = Thread.objects.select_for_update(no_key=True).get(id=thread.id)
        threads_services.answer_run(locked, interrupt, answer, text, user)
        return execution
    raise NothingToResume()


def cancel_run(user, run, action="interrupt"):
    """Stop a run (``interrupt``: kept, as stopped) or stop and delete it with its turn (``rollback``)."""
    execution = run.execution
    permissions.check_may_change(user, execution.agent.owner_id, permissions.STOP_EXECUTION)
    if action == "rollback" and not execution.is_terminal:
        with transaction.atomic():
            threads_services.roll_back([execution])
        return
    runs_services.stop_execution(execution)


def cancel_runs(user, runs, action="interrupt"):
    for run in runs:
        cancel_run(user, run, action)


def create_run(user, thread_id, body):
    """Validate a run request (a ``RunCreate`` body) and start it: ``(run, request)``."""
    request = checked(RunCreate, body)
    thread = selectors.thread_for(user, thread_id)
    if thread is None:
        if request.get("if_not_exists") != "create":
            raise not_found("Thread", thread_id)
        thread = create_thread(user, thread_id=selectors.as_uuid(thread_id))
    agent = selectors.assistant_for(user, request["assistant_id"])
    if agent is None:
        raise not_found("Assistant", request["assistant_id"])
    run = start_run(user, thread, agent, request)
    run.execution = AgentExecution.objects.select_related("agent").get(id=run.execution_id)
    return run, request


def checked(serializer_class, data):
    """The validated data, or the 422 LangGraph clients expect."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise unprocessable(serializer.errors)
    return serializer.validated_data
