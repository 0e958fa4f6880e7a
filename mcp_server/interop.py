"""The server as an MCP server: its agents and knowledge base as Model Context Protocol tools.

Served with the official ``mcp`` SDK over streamable HTTP at ``/mcp``, in
the same Starlette app and behind the same bearer token as ``/execute``.
Stateless mode: every request stands alone, so any client (and any number of
server processes behind a balancer) works without session affinity.

Tools:

``run_agent(runtime, config={}, input_data={}, agent_id="mcp")``
    Runs an agent exactly as ``POST /execute`` does. Each agent event is sent
    as a progress notification (``progress`` counts events; ``message`` is
    ``"<type>: <data as JSON>"``) when the client asked for progress. The
    result's structured content is ``{"status": "completed"|"failed",
    "output", "error"}`` and its text is the output's ``text`` (or the error
    message, with ``isError`` set). ``agent_id`` names whose knowledge base
    ``rag`` and ``tools`` search.
``search_knowledge(agent_id, query, k=4)``
    ``{"results": [...]}`` as ``POST /knowledge/{agent_id}/search`` answers.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import Field

from mcp_server.events import ERROR, RESULT
from mcp_server.protocol import AgentSpec, RunRequest
from mcp_server.runs import ActiveRuns, execute_run
from mcp_server.runtimes import ConfigError, UnknownRuntime, get_runtime, runtime_names
from mcp_server.services import Services

PROGRESS_MESSAGE_CHARS = 500


def create_mcp_server(services: Services, active_runs: ActiveRuns) -> MCPServer:
    server = MCPServer(
        name="agent-platform",
        instructions="Runs the platform's agents (runtimes: "
        + ", ".join(runtime_names())
        + ") and searches their knowledge bases.",
    )

    @server.tool(description="Run an agent and return its result; its events arrive as progress notifications.")
    async def run_agent(
        runtime: Annotated[str, Field(description=f"One of: {', '.join(runtime_names())}.")],
        ctx: Context,
        config: Annotated[dict[str, Any] | None, Field(description="The agent's config for that runtime.")] = None,
        input_data: Annotated[dict[str, Any] | None, Field(description='The input, e.g. {"message": "..."}.')] = None,
        agent_id: Annotated[str, Field(description="Whose knowledge base rag/tools search.", min_length=1)] = "mcp",
    ) -> CallToolResult:
        try:
            chosen = get_runtime(runtime)
            checked = chosen.check_config(config or {})
        except UnknownRuntime as error:
            raise ToolError(str(error)) from None
        except ConfigError as error:
            raise ToolError(error.message) from None
        request = RunRequest(
            execution_id=f"mcp-{uuid.uuid4()}",
            agent=AgentSpec(id=agent_id, name="MCP client", runtime=runtime, config=checked),
            input_data=input_data or {},
            services=services,
        )
        return await _run_and_report(chosen, request, active_runs, ctx)

    @server.tool(description="Search an agent's knowledge base for the passages that best match a query.")
    async def search_knowledge(
        agent_id: Annotated[str, Field(min_length=1, max_length=200)],
        query: Annotated[str, Field(min_length=1)],
        k: Annotated[int, Field(ge=1, le=50)] = 4,
    ) -> dict[str, Any]:
        hits = await services.knowledge.search(agent_id, query, k)
        return {"results": [hit.as_dict() for hit in hits]}

    return server


async def _run_and_report(runtime, request: RunRequest, active_runs: ActiveRuns, ctx: Context) -> CallToolResult:
    summary: dict[str, Any] = {"status": "failed", "output": None, "error": None}
    count = 0
    async for event in execute_run(runtime, request, active_runs):
        if event.type == RESULT:
            summary.update(status="completed", output=event.data["output"])
        elif event.type == ERROR:
            summary["error"] = event.data
        else:
            count += 1
            await ctx.report_progress(count, None, f"{event.type}: {event.data_json}"[:PROGRESS_MESSAGE_CHARS])
    if summary["error"] is not None:
        text = summary["error"]["message"]
    else:
        output = summary["output"]
        text = output["text"] if isinstance(output.get("text"), str) else json.dumps(output)
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=summary,
        is_error=summary["error"] is not None,
    )
