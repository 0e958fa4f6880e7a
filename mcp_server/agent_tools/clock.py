"""``current_time``: the current date and time, in UTC or a named IANA time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mcp_server.agent_tools.base import AgentTool, ToolContext, ToolError, ToolExample


class CurrentTime(AgentTool):
    name = "current_time"
    description = "Get the current date, time and weekday, in UTC or an IANA time zone such as 'Europe/Paris'."
    parameters = {
        "type": "object",
        "properties": {"timezone": {"type": "string", "maxLength": 64,
                                    "description": "IANA time zone name; default UTC."}},
        "additionalProperties": False,
    }
    examples = (
        ToolExample("What time is it in Paris?", {"timezone": "Europe/Paris"},
                    {"timezone": "Europe/Paris", "datetime": "2025-03-14T09:26:53+01:00", "weekday": "Friday"},
                    "In Paris it is 09:26 on Friday, 14 March 2025."),
        ToolExample("What time is it?", {},
                    {"timezone": "UTC", "datetime": "2025-03-14T08:26:53+00:00", "weekday": "Friday"},
                    "It is 08:26 on Friday, 14 March 2025 (UTC)."),
        ToolExample("What is the date today?", {},
                    {"timezone": "UTC", "datetime": "2025-06-02T16:05:10+00:00", "weekday": "Monday"},
                    "Today is Monday, 2 June 2025; it is 16:05 (UTC)."),
        ToolExample("Which day of the week is it?", {},
                    {"timezone": "UTC", "datetime": "2025-01-09T11:40:00+00:00", "weekday": "Thursday"},
                    "It is Thursday, 9 January 2025, 11:40 (UTC)."),
    )

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        name = (arguments.get("timezone") or "UTC").strip() or "UTC"
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ToolError(f"Unknown time zone {name!r}; use an IANA name such as 'UTC' or 'America/New_York'.")
        now = datetime.now(zone)
        return {"timezone": name, "datetime": now.isoformat(timespec="seconds"), "weekday": now.strftime("%A")}

    def answer_facts(self, result: Any) -> list[str]:
        try:
            moment = datetime.fromisoformat(result["datetime"])
        except (KeyError, TypeError, ValueError):
            return []
        return [f"{moment:%H:%M} on {moment:%A}, {moment.day} {moment:%B %Y}"]
