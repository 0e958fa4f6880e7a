"""``search_knowledge``: passages from the agent's own knowledge base."""

from __future__ import annotations

from typing import Any

from mcp_server.agent_tools.base import AgentTool, ToolContext, ToolError, ToolExample

# Enough of each passage for a small model's context; the full text is in the knowledge base.
PASSAGE_CHARS = 600


class SearchKnowledge(AgentTool):
    name = "search_knowledge"
    description = "Search the documents uploaded to this agent and return the most relevant passages."
    parameters = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": 500, "description": "What to look for."},
            "k": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many passages; default 3."},
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    examples = (ToolExample(
        "What do the documents say about refunds?", {"query": "refunds"},
        {"passages": [{"source": "policies.md", "chunk": 2,
                       "text": "Refunds are paid within 14 days of the return."}]},
        "Refunds are paid within 14 days of the return (policies.md).",
    ),)

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        if context.services is None:
            raise ToolError("No knowledge base is available here.")
        hits = await context.services.knowledge.search(context.agent_id, arguments["query"], arguments.get("k", 3))
        return {
            "passages": [
                {"source": hit.filename, "chunk": hit.chunk, "text": hit.text[:PASSAGE_CHARS]} for hit in hits
            ]
        }
