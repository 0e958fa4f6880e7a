"""The MCP server (the official SDK's low-level ``Server``): thin handlers over ``mcp_api.services``.

Each handler reads the caller that ``mcp_api.asgi`` authenticated from the
HTTP request's scope, then calls one service. The low-level server rather
than ``MCPServer``'s decorators: the tools are each user's agents, a
different list per caller, not functions fixed at start-up.
"""

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from . import services

USER_SCOPE_KEY = "mcp_api.user"
CALL_SCOPE_KEY = "mcp_api.call"  # the tools/call's services.CallKey, made as mcp_api.asgi read the POST

INSTRUCTIONS = (
    "Each tool runs one of your agents on the agent platform as an execution (stored, visible in the "
    "dashboard, stoppable there); search_... tools search an agent's knowledge documents."
)


def caller(ctx):
    return ctx.request.scope[USER_SCOPE_KEY]


async def list_tools(ctx, params):
    tools = await services.list_tools(caller(ctx))
    return types.ListToolsResult(
        tools=[types.Tool(name=tool.name, description=tool.description, input_schema=tool.input_schema) for tool in tools]
    )


async def call_tool(ctx, params):
    key = ctx.request.scope.get(CALL_SCOPE_KEY)
    try:
        outcome = await services.call_tool(
            caller(ctx), params.name, params.arguments or {}, key, ctx.session.report_progress
        )
    except services.UnknownTool as unknown:
        # The spec's protocol error for a tool the server does not have.
        raise MCPError(types.INVALID_PARAMS, str(unknown)) from None
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=outcome.text)],
        structured_content=outcome.structured,
        is_error=outcome.is_error,
    )


def create_server():
    return Server("agent-platform", instructions=INSTRUCTIONS, on_list_tools=list_tools, on_call_tool=call_tool)
