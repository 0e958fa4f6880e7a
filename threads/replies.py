"""What a completed run adds to its thread: the tool calls it made and its answer.

Called by ``runs.services.complete_execution`` in the transaction that
completes the run, so the conversation never shows a run completed without
its answer. It writes messages only: it must not import ``runs.services``
(which imports it).

The answer is the result's ``text`` (chat, rag and tools all give one; the
whole result as JSON otherwise); each of the result's ``tool_calls`` (the
tools runtime's) becomes a tool message before it.
"""

import json

from .models import Message


def record_reply(execution):
    """Store the tool messages and the assistant's message of a completed run of a thread."""
    turn = Message.objects.filter(execution=execution, role=Message.Role.USER).values_list("turn", flat=True).first()
    if turn is None:
        return  # its question was rolled back with it
    output = execution.output_data if isinstance(execution.output_data, dict) else {"output": execution.output_data}
    calls = [call for call in output.get("tool_calls") or [] if isinstance(call, dict)]
    text = output.get("text")
    messages = [
        *({"role": Message.Role.TOOL, "content": _text(call.get("result")), "data": call} for call in calls),
        {
            "role": Message.Role.ASSISTANT,
            "content": text if isinstance(text, str) else _text(output),
            "data": {key: value for key, value in output.items() if key not in ("text", "tool_calls")},
        },
    ]
    Message.objects.bulk_create(
        [Message(thread_id=execution.thread_id, execution=execution, turn=turn, **fields) for fields in messages]
    )


def _text(value):
    if value is None or isinstance(value, str):
        return value or ""
    return json.dumps(value, ensure_ascii=False)
