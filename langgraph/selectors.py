"""Reads of the LangGraph API: whose objects, a run's span and status, a thread's state at a point.

Visibility is the platform's own (``agents``, ``threads`` and ``runs``
selectors): someone else's assistant, thread or run is not found.
"""

import uuid
from collections import defaultdict

from django.db.models import Exists, OuterRef

from agents.selectors import agents_visible_to
from contract.events import EXECUTION_COMPLETED, EXECUTION_INTERRUPTED, EXECUTION_RESUMED, TOOL_CALL, TOOL_RESULT
from runs.models import AgentEvent, AgentExecution, Interrupt
from threads.models import Message
from threads.selectors import run_turn, threads_visible_to, with_metadata

from . import shapes
from .models import Run


def as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def assistant_for(user, assistant_id):
    """The agent an ``assistant_id`` names: its id, or a graph (runtime) name for the oldest agent of it; or None."""
    agents = agents_visible_to(user)
    agent_uuid = as_uuid(assistant_id)
    if agent_uuid is not None:
        return agents.filter(id=agent_uuid).first()
    return agents.filter(runtime=assistant_id).order_by("created_at").first()


def assistants_for(user, query):
    """The user's agents an ``assistants/search`` asks for: by ``graph_id`` (runtime), ``name``, ``metadata``."""
    agents = agents_visible_to(user)
    if query.get("graph_id"):
        agents = agents.filter(runtime=query["graph_id"])
    if query.get("name"):
        agents = agents.filter(name__icontains=query["name"])
    wanted = query.get("metadata") or {}
    return agents.filter(id__in=[
        agent.id for agent in agents.only("id", "runtime", "status")
        if all(shapes.assistant_metadata(agent).get(key) == value for key, value in wanted.items())
    ]) if wanted else agents


def threads_matching(user, query):
    """The user's threads a ``threads/search`` asks for, most recently changed first."""
    threads = threads_visible_to(user)
    if query.get("ids"):
        threads = threads.filter(id__in=query["ids"])
    if query.get("status"):
        threads = threads.filter(status=query["status"])
    return with_metadata(threads, query.get("metadata")).order_by("-updated_at", "id")



CANCELLABLE = {
    "pending": [AgentExecution.Status.QUEUED, AgentExecution.Status.PENDING],
    "running": [AgentExecution.Status.RUNNING, AgentExecution.Status.WAITING_INPUT],
}
CANCELLABLE["all"] = CANCELLABLE["pending"] + CANCELLABLE["running"]


def runs_to_cancel(user, thread, query):
    """The runs a ``POST /runs/cancel`` names: ``run_ids`` of ``thread``, or every unfinished one of ``status``."""
    if query.get("run_ids"):
        found = (run_of_thread(thread, run_id) for run_id in query["run_ids"])
        return [run for run, _ in filter(None, found)]
    # Without a thread: the user's own runs (staff cancel others' by naming them).
    scope = {"thread__owner": user} if thread is None else {"thread": thread}
    executions = AgentExecution.objects.filter(**scope, status__in=CANCELLABLE[query["status"]]).select_related("agent")
    return [first_run(execution) for execution in executions]


def thread_for(user, thread_id):
    thread_uuid = as_uuid(thread_id)
    if thread_uuid is None:
        return None
    return threads_visible_to(user).select_related("agent").filter(id=thread_uuid).first()


# --- Runs -----------------------------------------------------------------------------------


def _paused(runs):
    """Annotate ``paused``: the run's span ended at an interrupt (an ``execution_interrupted`` event in it)."""
    return runs.annotate(
        paused=Exists(
            AgentEvent.objects.filter(
                execution_id=OuterRef("execution_id"), seq__gt=OuterRef("after_seq"), event_type=EXECUTION_INTERRUPTED
            )
        )
    )


def paused_at(execution_id, after_seq):
    """The seq of the interrupt that ended a span starting after ``after_seq``, or None."""
    return (
        AgentEvent.objects.filter(execution_id=execution_id, seq__gt=after_seq, event_type=EXECUTION_INTERRUPTED)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )


def first_run(execution):
    """The run an execution without a LangGraph row reads as (started elsewhere): unsaved, from its start."""
    return Run(
        id=execution.id, execution=execution, thread_id=execution.thread_id, owner_id=execution.agent.owner_id,
        after_seq=0, created_at=execution.created_at,
    )


def run_of_thread(thread, run_id):
    """``(run, paused)`` of one of the thread's runs, or None."""
    run_uuid = as_uuid(run_id)
    if run_uuid is None:
        return None
    row = _paused(Run.objects.filter(thread=thread, id=run_uuid).select_related("execution__agent")).first()
    if row is not None:
        return row, row.paused
    execution = AgentExecution.objects.select_related("agent").filter(thread=thread, id=run_uuid).first()
    if execution is None:
        return None
    run = first_run(execution)
    return run, paused_at(execution.id, 0) is not None


def runs_of_thread(thread, *, status=None, limit=10, offset=0):
    """``[(run, paused)]`` newest first: the LangGraph rows, and a first run for each execution without one."""
    executions = AgentExecution.objects.filter(thread=thread).select_related("agent").order_by("-created_at", "-id")
    rows = defaultdict(list)
    for row in _paused(Run.objects.filter(thread=thread)).order_by("-after_seq"):
        rows[row.execution_id].append(row)
    listed = []
    for execution in executions.iterator():
        spans = rows.get(execution.id) or [first_run(execution)]
        for run in spans:
            run.execution = execution
            paused = getattr(run, "paused", None)
            if paused is None:
                paused = paused_at(execution.id, 0) is not None
            listed.append((run, paused))
    if status is not None:
        listed = [(run, paused) for run, paused in listed if shapes.run_status(run.execution, paused) == status]
    return listed[offset : offset + limit]


# --- A thread's state ---------------------------------------------------------------------


def thread_values(thread_id, at=None):
    """``{"messages": [...]}``: the thread's conversation, now or as it stood at an event of one of its runs.

    ``at`` is ``(execution_id, seq)``. The earlier turns are all there; of
    the run's own turn, its message, the questions asked and answered up to
    that event, and its reply once the event is its completion. So a stream
    replayed later shows each state as it was sent live.
    """
    rows = Message.objects.filter(thread_id=thread_id).order_by("turn", "id")
    if at is not None:
        rows = _as_at(rows, *at)
    return {"messages": shapes.messages(rows)}


def _as_at(rows, execution_id, seq):
    execution = AgentExecution(id=execution_id)
    turn = run_turn(execution)
    if turn is None:
        return list(rows)
    points = AgentEvent.objects.filter(
        execution_id=execution_id, seq__lte=seq, event_type__in=[EXECUTION_INTERRUPTED, EXECUTION_RESUMED,
                                                                  EXECUTION_COMPLETED]
    ).values_list("event_type", "content")
    asked, answered, completed = set(), set(), False
    for event_type, content in points:
        if event_type == EXECUTION_INTERRUPTED:
            asked.add(str((content.get("interrupt") or {}).get("id")))
        elif event_type == EXECUTION_RESUMED:
            answered.add(str(content.get("interrupt_id")))
        else:
            completed = True
    kept = []
    for row in rows.filter(turn__lte=turn):
        if row.turn < turn or row.execution_id != execution.id:
            kept.append(row)
        elif row.role == Message.Role.USER and "answers" not in row.data:
            kept.append(row)
        elif "interrupt" in row.data:
            if row.data["interrupt"] in asked:
                kept.append(row)
        elif "answers" in row.data:
            if row.data["answers"] in answered:
                kept.append(row)
        elif completed:
            kept.append(row)
    return kept


def open_interrupts(thread_ids):
    """``{thread_id: {execution_id: [Interrupt]}}`` of the interrupts the threads' runs wait on."""
    waiting = Interrupt.objects.filter(
        execution__thread_id__in=thread_ids, answered_at=None, execution__status=AgentExecution.Status.WAITING_INPUT
    ).values_list("execution__thread_id", "execution_id", "id", "kind", "payload")
    found = defaultdict(dict)
    for thread_id, execution_id, interrupt_id, kind, payload in waiting:
        found[thread_id].setdefault(str(execution_id), []).append(shapes.interrupt(interrupt_id, kind, payload))
    return found


def thread_objects(threads):
    """The Thread objects of these rows (annotated with ``status``): values and interrupts in two queries."""
    threads = list(threads)
    ids = [row.id for row in threads]
    by_thread = defaultdict(list)
    for message in Message.objects.filter(thread_id__in=ids).order_by("turn", "id"):
        by_thread[message.thread_id].append(message)
    interrupts = open_interrupts(ids)
    return [
        shapes.thread(row, {"messages": shapes.messages(by_thread[row.id])}, interrupts.get(row.id, {}))
        for row in threads
    ]


def thread_history(thread, *, limit=10, before=None):
    """``[ThreadState]``, newest first: the state after each run of the thread (its checkpoints)."""
    executions = list(
        AgentExecution.objects.filter(thread=thread).select_related("agent").order_by("created_at", "id")
    )
    messages = list(Message.objects.filter(thread=thread).order_by("turn", "id"))
    interrupts = open_interrupts([thread.id]).get(thread.id, {})
    turns = {m.execution_id: m.turn for m in messages if m.role == Message.Role.USER and "answers" not in m.data}
    states, parent = [], None
    for step, execution in enumerate(executions):
        turn = turns.get(execution.id)
        if turn is None:
            continue  # a run whose message was rolled back
        checkpoint = {
            "thread_id": str(thread.id), "checkpoint_ns": "", "checkpoint_id": str(execution.id),
            "checkpoint_map": None,
        }
        waiting = interrupts.get(str(execution.id), [])
        failed = execution.status == AgentExecution.Status.FAILED
        tasks = []
        if waiting or failed or not execution.is_terminal:
            tasks = [{
                "id": str(execution.id), "name": shapes.NODE, "error": execution.error_message if failed else None,
                "interrupts": waiting, "checkpoint": None, "state": None, "result": None,
            }]
        states.append({
            "values": {"messages": shapes.messages([m for m in messages if m.turn <= turn])},
            "next": [] if execution.is_terminal else [shapes.NODE],
            "tasks": tasks,
            "checkpoint": checkpoint,
            "metadata": {
                "run_id": str(execution.id), "assistant_id": str(execution.agent_id),
                "graph_id": execution.agent.runtime, "step": step, "source": "loop",
            },
            "created_at": shapes._time(execution.completed_at or execution.created_at),
            "parent_checkpoint": parent,
            "interrupts": waiting,
        })
        parent = checkpoint
    states.reverse()
    if before:
        ids = [state["checkpoint"]["checkpoint_id"] for state in states]
        states = states[ids.index(before) + 1 :] if before in ids else []
    return states[:limit]


def empty_state(thread):
    return {
        "values": {"messages": []}, "next": [], "tasks": [], "checkpoint": None, "metadata": {},
        "created_at": shapes._time(thread.created_at), "parent_checkpoint": None, "interrupts": [],
    }


def tool_calls_before(execution_id, seq):
    """``[(seq, type, tool)]`` of the tool calls and results before ``seq``: a resumed stream pairs them as before."""
    rows = AgentEvent.objects.filter(
        execution_id=execution_id, seq__lt=seq, event_type__in=[TOOL_CALL, TOOL_RESULT]
    ).order_by("seq").values_list("seq", "event_type", "content")
    return [(row_seq, event_type, content.get("tool")) for row_seq, event_type, content in rows]


def run_over(run):
    """``(over, last_seq)``: whether the run has ended (its execution, or its span at an interrupt; or it is gone)."""
    execution = AgentExecution.objects.filter(id=run.execution_id).only("status", "last_seq").first()
    if execution is None:
        return True, 0
    return execution.is_terminal or paused_at(run.execution_id, run.after_seq) is not None, execution.last_seq


def final_values(run):
    """What ``wait`` and ``join`` answer: the thread's state once the run is over (with the interrupt that ended
    it), ``{"__error__": ...}`` when it failed, None when it was rolled back."""
    execution = AgentExecution.objects.filter(id=run.execution_id).first()
    if execution is None:
        return None
    pause = (
        AgentEvent.objects.filter(execution_id=execution.id, seq__gt=run.after_seq, event_type=EXECUTION_INTERRUPTED)
        .order_by("seq")
        .values_list("seq", "content")
        .first()
    )
    if pause is not None:
        values = thread_values(run.thread_id, (execution.id, pause[0]))
        raised = pause[1].get("interrupt") or {}
        values["__interrupt__"] = [shapes.interrupt(raised.get("id"), raised.get("kind"), raised.get("payload") or {})]
        return values
    if execution.status == AgentExecution.Status.FAILED:
        return {"__error__": shapes.run_error(execution)}
    return thread_values(run.thread_id, (execution.id, execution.last_seq))
