"""Whether one run's answer is right, from its events (what the model said and which tools it called)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evals.cases import RagCase, ToolCase
from mcp_server.runtimes.llm import repeating

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass
class Run:
    """What a run did: its answer, tool calls, model calls and how it ended."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    model_calls: int = 0
    error: str | None = None
    seconds: float = 0.0

    @classmethod
    def of(cls, events: list[tuple[str, dict]], seconds: float) -> Run:
        run = cls(seconds=seconds)
        for kind, data in events:
            if kind == "step" and data.get("name") == "model_call":
                run.model_calls += 1
            elif kind == "result":
                output = data["output"]
                run.text = output.get("text", "")
                run.tool_calls = output.get("tool_calls", [])
                run.citations = output.get("citations", [])
                run.finish_reason = output.get("finish_reason")
            elif kind == "error":
                run.error = f"{data['code']}: {data['message']}"
        return run

    @property
    def looped(self) -> bool:
        """Ended for repeating itself, or (the detector off) ending in a repeat."""
        return self.finish_reason == "repetition" or repeating(self.text)


def numbers_in(text: str) -> set[str]:
    """The numbers a text states, thousands separators dropped and ``14.0`` read as ``14``."""
    found = set()
    for match in _NUMBER.findall(text.replace(",", "")):
        value = float(match)
        found.add(str(int(value)) if value.is_integer() else repr(value))
    return found


def tool_answer_right(case: ToolCase, run: Run) -> tuple[bool, bool]:
    """(the tool was called, the answer is right)."""
    calls = [call for call in run.tool_calls if call["tool"] == case.tool and "error" not in (call["result"] or {})]
    if not calls:
        return False, False
    if case.expected is not None:
        return True, case.expected in numbers_in(run.text)
    stamp = datetime.fromisoformat(calls[-1]["result"]["datetime"])
    if case.clock_part == "weekday":
        return True, stamp.strftime("%A").lower() in run.text.lower()
    if case.clock_part == "date":
        day = str(stamp.day)
        text = run.text.lower()
        return True, stamp.date().isoformat() in text or (day in numbers_in(text) and (
            stamp.strftime("%B").lower() in text or stamp.strftime("%b").lower() in text))
    hour_minute = {f"{stamp.hour}:{stamp.minute:02d}", f"{stamp.hour:02d}:{stamp.minute:02d}",
                   f"{stamp.hour % 12 or 12}:{stamp.minute:02d}"}
    return True, any(value in run.text for value in hour_minute)


def rag_answer_right(case: RagCase, run: Run) -> tuple[bool, bool]:
    """(the answer holds the fact, the right document is cited)."""
    text = run.text.lower()
    holds = any(fact.lower() in text for fact in case.facts)
    cited = any(citation.get("filename") == case.document for citation in run.citations)
    return holds, cited
