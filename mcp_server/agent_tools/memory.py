"""``remember`` and ``recall``: the agent's long-term memory of its user.

The platform gives a run the user's items that best match its message
(``input_data.memory``); ``recall`` searches those and what the run itself
remembered, and ``remember`` keeps a new one. This server stores nothing:
``remember`` makes the run emit a ``memory`` event, and the platform writes
the user's item as it stores that event, so the next run of any of the
user's agents, in any thread, can be given it. Offered only when the
agent's config lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contract.memory import item_text
from mcp_server import events
from mcp_server.agent_tools.base import AgentTool, ToolContext, ToolError, ToolExample

if TYPE_CHECKING:
    from mcp_server.events import Event
    from mcp_server.services import Services

NAME_PATTERN = r"^[\w.:/-]+$"
WORD = re.compile(r"\w+", re.UNICODE)
MAX_RECALLED = 10


@dataclass
class MemoryPad:
    """One run's view of its user's memory: what it was given, what it remembered, the events still to emit."""

    items: list[dict[str, Any]]
    services: Services | None = None
    unsent: list[Event] = field(default_factory=list)

    def keep(self, namespace: str, key: str, value: Any) -> None:
        self.items = [item for item in self.items if (item["namespace"], item["key"]) != (namespace, key)]
        self.items.append({"namespace": namespace, "key": key, "value": value})
        self.unsent.append(events.memory(namespace, key, value))

    def drain(self) -> list[Event]:
        """The ``memory`` events of the calls made since last asked, to go out with them."""
        unsent, self.unsent = self.unsent, []
        return unsent

    async def search(self, query: str, limit: int) -> list[dict[str, Any]]:
        """The items closest to ``query``: by meaning with the embedder, by words without one."""
        if not self.items:
            return []
        texts = [item_text(item["key"], item["value"]) for item in self.items]
        if self.services is not None:
            import numpy as np

            vectors = await self.services.knowledge.embed([query, *texts])
            matrix = np.stack([np.frombuffer(vector, dtype="<f4") for vector in vectors])
            scores = (matrix[1:] @ matrix[0]).tolist()
        else:
            words = set(WORD.findall(query.lower()))
            scores = [len(words & set(WORD.findall(text.lower()))) for text in texts]
        ranked = sorted(zip(scores, range(len(texts)), strict=True), reverse=True)
        return [self.items[index] for score, index in ranked[:limit] if score > 0]


def _pad(context: ToolContext) -> MemoryPad:
    if context.memory is None:
        raise ToolError("Memory is not available to this run.")
    return context.memory


class Remember(AgentTool):
    name = "remember"
    description = (
        "Keep a fact about the user for later conversations (a preference, a name, a detail they told you). "
        "A new value for a key replaces the old one."
    )
    parameters = {
        "type": "object",
        "properties": {
            "key": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 200,
                    "description": "A short name for the fact, e.g. favourite_colour."},
            "value": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "The fact."},
            "namespace": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 100,
                          "description": "A group of facts (default: default)."},
        },
        "required": ["key", "value"],
        "additionalProperties": False,
    }
    examples = (
        ToolExample("My name is Ada.", {"key": "name", "value": "Ada"},
                    {"remembered": "name", "value": "Ada", "namespace": "default"},
                    "Nice to meet you, Ada! I will remember that."),
        ToolExample("Remember that my favourite colour is green.", {"key": "favourite_colour", "value": "green"},
                    {"remembered": "favourite_colour", "value": "green", "namespace": "default"},
                    "Noted: your favourite colour is green."),
    )

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        namespace = arguments.get("namespace") or "default"
        _pad(context).keep(namespace, arguments["key"], arguments["value"])
        return {"remembered": arguments["key"], "value": arguments["value"], "namespace": namespace}

    def answer_facts(self, result: Any) -> list[str]:
        value = result.get("value") if isinstance(result, dict) else None
        return [value] if isinstance(value, str) and len(value) <= 200 else []


class Recall(AgentTool):
    name = "recall"
    description = "Look up what you remember about the user from earlier conversations."
    parameters = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "What to look for."},
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    examples = (
        ToolExample("What is my name?", {"query": "name"},
                    {"items": [{"namespace": "default", "key": "name", "value": "Ada"}]}, "Your name is Ada."),
        ToolExample("What do you know about me?", {"query": "the user"},
                    {"items": [{"namespace": "default", "key": "favourite_colour", "value": "green"}]},
                    "I remember that your favourite colour is green."),
    )

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        found = await _pad(context).search(arguments["query"], MAX_RECALLED)
        if not found:
            return {"items": [], "note": "Nothing remembered matches."}
        return {"items": found}


MEMORY_TOOLS: dict[str, AgentTool] = {tool.name: tool for tool in (Remember(), Recall())}
