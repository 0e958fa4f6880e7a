"""``current_time``: the current date and time, in UTC or a named IANA time zone."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from mcp_server.agent_tools.base import AgentTool, ToolContext, ToolError, ToolExample


@cache
def _zone_names() -> dict[str, str]:
    return {_folded(name): name for name in available_timezones()}


def _folded(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum() or character == "/")


def _zone_name(asked: str) -> str:
    """The IANA name ``asked`` means, spelled loosely ("america/new-york", "Europe/paris"); else as asked."""
    return _zone_names().get(_folded(asked), asked)


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
                    "In Paris it is 09:26 on Friday, 14 March 2025 (Europe/Paris)."),
        ToolExample("What time is it in Chicago right now?", {"timezone": "America/Chicago"},
                    {"timezone": "America/Chicago", "datetime": "2025-03-14T03:26:53-05:00", "weekday": "Friday"},
                    "In Chicago it is 03:26 on Friday, 14 March 2025 (America/Chicago)."),
        ToolExample("What time is it?", {"timezone": "UTC"},
                    {"timezone": "UTC", "datetime": "2025-03-14T08:26:53+00:00", "weekday": "Friday"},
                    "It is 08:26 on Friday, 14 March 2025 (UTC)."),
        ToolExample("What is the date today?", {"timezone": "UTC"},
                    {"timezone": "UTC", "datetime": "2025-06-02T16:05:10+00:00", "weekday": "Monday"},
                    "Today it is 16:05 on Monday, 2 June 2025 (UTC)."),
        ToolExample("Which day of the week is it?", {"timezone": "UTC"},
                    {"timezone": "UTC", "datetime": "2025-01-09T11:40:00+00:00", "weekday": "Thursday"},
                    "It is 11:40 on Thursday, 9 January 2025 (UTC)."),
    )

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        name = _zone_name((arguments.get("timezone") or "UTC").strip() or "UTC")
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
        return [f"{moment:%H:%M} on {moment:%A}, {moment.day} {moment:%B %Y} ({result.get('timezone', 'UTC')})"]
