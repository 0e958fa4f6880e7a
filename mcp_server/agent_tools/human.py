"""``ask_human``: a question for the person the agent works for; the run waits for the answer.

Not a tool this server can call: the tools runtime turns a call of it into
an ``ask_human`` interrupt, and the answer, once given (it may take days),
becomes the call's result ``{"answer": text}``. It is only offered when the
agent's config lists it.
"""

from __future__ import annotations

from typing import Any

from contract import interrupts
from mcp_server.agent_tools.base import AgentTool, ToolContext, ToolExample


class AskHuman(AgentTool):
    name = interrupts.ASK_HUMAN
    description = (
        "Ask the user a question and wait for the answer. Use it only for something you cannot find out "
        "yourself: a preference, a choice, a missing detail."
    )
    parameters = {
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "The question."},
            "choices": {
                "type": "array",
                "items": {"type": "string", "maxLength": 200},
                "maxItems": 20,
                "description": "The answers to choose from, if the answer must be one of them.",
            },
        },
        "required": ["question"],
        "additionalProperties": False,
    }
    examples = (ToolExample("Book a table for dinner tonight.", {"question": "For how many people?"},
                            {"answer": "Four"}, "I will book a table for four people tonight."),)

    def payload(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The interrupt's payload for a call with these (checked) arguments."""
        return {key: arguments[key] for key in ("question", "choices") if arguments.get(key)}

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        raise RuntimeError("ask_human is answered by a person, through an interrupt")


ASK_HUMAN_TOOL = AskHuman()
