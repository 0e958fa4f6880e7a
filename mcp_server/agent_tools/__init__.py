"""The built-in tools agents of the ``tools`` runtime may call; see ``base.py`` for the contract."""

from __future__ import annotations

from mcp_server.agent_tools.base import AgentTool, ToolContext, ToolError, ToolExample
from mcp_server.agent_tools.calculator import Calculator
from mcp_server.agent_tools.clock import CurrentTime
from mcp_server.agent_tools.knowledge import SearchKnowledge

__all__ = ["AGENT_TOOLS", "AgentTool", "ToolContext", "ToolError", "ToolExample"]

AGENT_TOOLS: dict[str, AgentTool] = {tool.name: tool for tool in (Calculator(), CurrentTime(), SearchKnowledge())}
