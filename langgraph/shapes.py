"""The platform's objects as the LangGraph API shows them: assistants, threads, runs, states, messages.

agent = assistant (``graph_id`` is its runtime), thread = thread, execution
= run (see ``langgraph.models``). Messages are LangChain message dicts
(``{"type": "human" | "ai" | "tool", "id", "content", ...}``), the shape
every LangGraph client renders.
"""

from contract.interrupts import ASK_HUMAN, CONFIRM_TOOL
from runs.events import format_timestamp
from runs.models import AgentExecution
from threads.models import Message

Status = AgentExecution.Status

# The one node a platform run is, as LangGraph names the steps of a graph.
NODE = "agent"

RUN_STATUS = {
    Status.QUEUED: "pending",
    Status.PENDING: "pending",
    Status.RUNNING: "running",
    Status.WAITING_INPUT: "running",  # answered, waiting for a worker (unanswered ends its run: success)
    Status.COMPLETED: "success",
    Status.FAILED: "error",
    Status.STOPPED: "interrupted",
}
TERMINAL_RUN_STATUSES = {"success", "error", "timeout", "interrupted"}


def _time(value):
    return format_timestamp(value) if value is not None else None


def assistant(agent):
    return {
        "assistant_id": str(agent.id),
        "graph_id": agent.runtime,
        "config": {"configurable": agent.config},
        "context": {},
        "created_at": _time(agent.created_at),
        "updated_at": _time(agent.updated_at),
        "metadata": assistant_metadata(agent),
        "version": 1,
        "name": agent.name,
        "description": agent.description or None,
    }


def assistant_metadata(agent):
    return {"runtime": agent.runtime, "status": agent.status}


def thread(row, values, interrupts):
    """``row`` is annotated with ``status`` (``threads.selectors.with_status``)."""
    return {
        "thread_id": str(row.id),
        "created_at": _time(row.created_at),
        "updated_at": _time(row.updated_at),
        "state_updated_at": _time(row.updated_at),
        "metadata": row.metadata,
        "status": row.status,
        "config": {},
        "values": values,
        "interrupts": interrupts,
    }


def run_status(execution, paused):
    """The LangGraph status of a run of ``execution``; ``paused``: its span ended at an interrupt."""
    if paused:
        return "success"  # as a LangGraph run that reached interrupt(): its thread is interrupted
    if execution.status == Status.FAILED and execution.error_code == "timeout":
        return "timeout"
    return RUN_STATUS[execution.status]


def run(lg_run, execution, paused):
    return {
        "run_id": str(lg_run.id),
        "thread_id": str(lg_run.thread_id),
        "assistant_id": str(execution.agent_id),
        "created_at": _time(lg_run.created_at or execution.created_at),
        "updated_at": _time(execution.completed_at or execution.started_at or execution.created_at),
        "status": run_status(execution, paused),
        "metadata": lg_run.metadata,
        "kwargs": lg_run.kwargs,
        "multitask_strategy": lg_run.multitask_strategy,
    }


def cron(cron, next_run_date, select=None):
    """A ``Cron``; only the fields in ``select`` when given (``crons/search``)."""
    shown = {
        "cron_id": str(cron.id),
        "assistant_id": str(cron.agent_id),
        "thread_id": str(cron.thread_id) if cron.thread_id else None,
        "on_run_completed": cron.on_run_completed if cron.thread_id is None else None,
        "end_time": _time(cron.end_time),
        "schedule": cron.schedule,
        "timezone": cron.timezone or None,
        "created_at": _time(cron.created_at),
        "updated_at": _time(cron.updated_at),
        "payload": {**cron.payload, "assistant_id": str(cron.agent_id)},
        "user_id": str(cron.owner_id),
        "next_run_date": _time(next_run_date),
        "metadata": cron.metadata,
        "enabled": cron.enabled,
    }
    return {key: shown[key] for key in select} if select else shown


def run_error(execution):
    """``{error, message}``: the ``error`` event and ``__error__`` of a failed run."""
    return {"error": execution.error_code or "error", "message": execution.error_message}


# --- Interrupts ----------------------------------------------------------------------


def interrupt_value(kind, payload):
    """What a client shows for an interrupt: a question, or a tool call to review in agent-chat-ui's shape."""
    if kind == CONFIRM_TOOL:
        tool = payload.get("tool", "")
        return {
            "action_requests": [
                {"name": tool, "args": payload.get("arguments", {}), "description": f"The agent wants to call {tool}."}
            ],
            "review_configs": [{"action_name": tool, "allowed_decisions": ["approve", "edit", "reject"]}],
        }
    return payload


def interrupt(interrupt_id, kind, payload):
    return {"id": str(interrupt_id), "value": interrupt_value(kind, payload)}


def answer_from_resume(kind, resume):
    """The platform's answer (``contract.interrupts``) for a ``command.resume``, and its text for the conversation.

    An ``ask_human`` takes the text (or ``{"answer": text}``); a
    ``confirm_tool`` takes agent-chat-ui's ``{"decisions": [{"type":
    "approve" | "reject" | "edit", ...}]}``, or the platform's own answer.
    What does not fit is left for ``check_answer`` to refuse.
    """
    if kind == ASK_HUMAN:
        answer = resume.get("answer") if isinstance(resume, dict) else resume
        return answer, answer if isinstance(answer, str) else ""
    decision = resume
    if isinstance(resume, dict) and isinstance(resume.get("decisions"), list) and resume["decisions"]:
        decision = resume["decisions"][0]
    if isinstance(decision, dict) and "type" in decision and "action" not in decision:
        kind_of = decision["type"]
        if kind_of == "edit":
            edited = decision.get("edited_action") or {}
            answer = {"action": "edit", "arguments": edited.get("args") if isinstance(edited, dict) else None}
        elif kind_of == "reject":
            answer = {"action": "reject", "reason": decision.get("message") or ""}
        else:
            answer = {"action": kind_of}
    else:
        answer = decision
    action = answer.get("action") if isinstance(answer, dict) else None
    text = {"approve": "Approved.", "edit": "Approved with changes."}.get(action) or (
        f"Rejected: {answer.get('reason')}" if action == "reject" and answer.get("reason") else "Rejected."
    )
    return answer, text


# --- Messages --------------------------------------------------------------------------


def reply_id(execution_id):
    """The id of a run's answer: its streamed chunks carry it too, so a client merges them into the answer."""
    return f"run-{execution_id}"


def messages(rows):
    """LangChain message dicts of a thread's messages (in order); a run's tool calls become an AI message
    with ``tool_calls`` followed by one tool message per call."""
    out = []
    calls_of = {}  # execution id -> the AI message that holds its tool calls
    for row in rows:
        if row.role == Message.Role.USER:
            out.append({"type": "human", "id": f"msg-{row.id}", "content": row.content})
        elif row.role == Message.Role.TOOL:
            call_id = f"call-{row.id}"
            holder = calls_of.get(row.execution_id)
            if holder is None:
                holder = {"type": "ai", "id": f"{reply_id(row.execution_id)}-tools", "content": "", "tool_calls": []}
                calls_of[row.execution_id] = holder
                out.append(holder)
            holder["tool_calls"].append(
                {"id": call_id, "name": row.data.get("tool", ""), "args": row.data.get("arguments") or {},
                 "type": "tool_call"}
            )
            out.append(
                {"type": "tool", "id": f"msg-{row.id}", "tool_call_id": call_id, "name": row.data.get("tool", ""),
                 "content": row.content}
            )
        else:
            is_question = "interrupt" in row.data
            out.append(
                {
                    "type": "ai",
                    "id": f"msg-{row.id}" if is_question or row.execution_id is None else reply_id(row.execution_id),
                    "content": row.content,
                    "tool_calls": [],
                }
            )
    return out
