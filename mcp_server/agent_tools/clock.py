"""``current_time``: the current date and time, in UTC or a named IANA time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mcp_server.agent_tools.base import AgentTool, ToolContext, ToolError


class CurrentTime(AgentTool):
    name = "current_time"
    description = "Get the current date, time and weekday, in UTC or an IANA time zone such as 'Europe/Paris'."
    parameters = {
        "type": "object",
        "properties": {"timezone": {"type": "string", "maxLength": 64,
                                    "description": "IANA time zone name; default UTC."}},
        "additionalProperties": False,
    }

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        name = (arguments.get("timezone") or "UTC").strip() or "UTC"
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ToolError(f"Unknown time zone {name!r}; use an IANA name such as 'UTC' or 'America/New_York'.")
        now = datetime.now(zone)
        return {"timezone": name, "datetime": now.isoformat(timespec="seconds"), "weekday": now.strftime("%A")}
