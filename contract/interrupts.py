"""What a run may wait for, and the answers a person may give: shared by the api and the agent server.

``ask_human``
    A question. Payload ``{"question": str, "choices": [str, ...]?}``; the
    answer is text, one of ``choices`` when the question has some.
``confirm_tool``
    A tool call waiting for approval. Payload ``{"tool": str, "arguments":
    {...}}``; the answer is ``{"action": "approve"}``, ``{"action":
    "reject", "reason": str?}`` or ``{"action": "edit", "arguments": {...}}``
    (the call is made with these arguments instead).

The api checks an answer with ``check_answer`` before it records it, so the
agent server gets only answers of these shapes; it checks them again all
the same (a resume request is input like any other).
"""

from __future__ import annotations

from typing import Any

from contract.errors import PlatformError

ASK_HUMAN = "ask_human"
CONFIRM_TOOL = "confirm_tool"
KINDS = (ASK_HUMAN, CONFIRM_TOOL)

APPROVE = "approve"
REJECT = "reject"
EDIT = "edit"
CONFIRM_ACTIONS = (APPROVE, REJECT, EDIT)

MAX_ANSWER_CHARS = 20_000


class InvalidAnswer(PlatformError):
    """The answer does not fit the interrupt; the message says what would."""

    code = "invalid_answer"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={"answer": [message]})


def check_answer(kind: str, payload: dict[str, Any], answer: Any) -> Any:
    """The answer, normalized (text stripped), or ``InvalidAnswer``."""
    if kind == ASK_HUMAN:
        return _text_answer(payload, answer)
    if kind == CONFIRM_TOOL:
        return _confirmation(answer)
    raise InvalidAnswer(f"Unknown interrupt kind {kind!r}.")


def _text_answer(payload: dict[str, Any], answer: Any) -> str:
    if not isinstance(answer, str) or not answer.strip():
        raise InvalidAnswer("The answer must be a non-empty string.")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InvalidAnswer(f"The answer must be at most {MAX_ANSWER_CHARS} characters.")
    choices = payload.get("choices") or []
    if choices and answer.strip() not in choices:
        raise InvalidAnswer(f"The answer must be one of: {', '.join(map(str, choices))}.")
    return answer.strip()


def _confirmation(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict) or answer.get("action") not in CONFIRM_ACTIONS:
        raise InvalidAnswer('The answer must be {"action": "approve" | "reject" | "edit", ...}.')
    action = answer["action"]
    if action == APPROVE:
        return {"action": APPROVE}
    if action == EDIT:
        if not isinstance(answer.get("arguments"), dict):
            raise InvalidAnswer('An edit needs the new "arguments", a JSON object.')
        return {"action": EDIT, "arguments": answer["arguments"]}
    reason = answer.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_ANSWER_CHARS:
        raise InvalidAnswer(f'"reason" must be a string of at most {MAX_ANSWER_CHARS} characters.')
    return {"action": REJECT, "reason": reason.strip()}


def answer_from_message(kind: str, content: str) -> Any:
    """The answer a thread's next message gives: the text itself, or a rejection with it as the reason."""
    if kind == ASK_HUMAN:
        return content
    return {"action": REJECT, "reason": content}
