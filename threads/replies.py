"""What a run adds to its thread: the questions it asks, the tool calls it made and its answer.

Called by ``runs.services`` in the transaction that completes the run
(``record_reply``) or parks it for a person (``record_question``), so the
conversation never shows a run completed without its answer, or waiting
without its question. It writes messages only: it must not import
``runs.services`` (which imports it).

The answer is the result's ``text`` (chat, rag and tools all give one; the
whole result as JSON otherwise); each of the result's ``tool_calls`` (the
tools runtime's) becomes a tool message before it, but for ``ask_human``:
its question and its answer are in the conversation already.
"""

import json

from contract.interrupts import ASK_HUMAN

from .models import Message
from .selectors import run_turn


def record_question(execution, interrupt):
    """A run of a thread asks the person: the question is the assistant's message of the run's turn."""
    turn = run_turn(execution)
    if turn is None or interrupt.kind != ASK_HUMAN:
        return
    Message.objects.create(
        thread_id=execution.thread_id, execution=execution, turn=turn, role=Message.Role.ASSISTANT,
        content=interrupt.payload.get("question", ""), data={"interrupt": str(interrupt.id), **interrupt.payload},
    )


def record_reply(execution):
    """Store the tool messages and the assistant's message of a completed run of a thread."""
    turn = run_turn(execution)
    if turn is None:
        return  # its question was rolled back with it
    output = execution.output_data if isinstance(execution.output_data, dict) else {"output": execution.output_data}
    calls = [
        call for call in output.get("tool_calls") or [] if isinstance(call, dict) and call.get("tool") != ASK_HUMAN
    ]
    messages = [
        *({"role": Message.Role.TOOL, "content": _text(call.get("result")), "data": call} for call in calls),
        {
            "role": Message.Role.ASSISTANT,
            "content": answer_text(execution),
            "data": {key: value for key, value in output.items() if key not in ("text", "tool_calls")},
        },
    ]
    Message.objects.bulk_create(
        [Message(thread_id=execution.thread_id, execution=execution, turn=turn, **fields) for fields in messages]
    )


def answer_text(execution):
    """The answer of a completed run: its result's ``text``, else the whole result as JSON."""
    output = execution.output_data if isinstance(execution.output_data, dict) else {"output": execution.output_data}
    text = output.get("text")
    return text if isinstance(text, str) else _text(output)


def _text(value):
    if value is None or isinstance(value, str):
        return value or ""
    return json.dumps(value, ensure_ascii=False)
