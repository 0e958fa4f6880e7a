"""A run's events as LangGraph stream parts: which frames each stored event gives, and their ids.

Each stored event gives the frames of the modes asked for, always in the
order of ``STREAM_MODES`` (so a reconnect with the same modes sees the same
frames): ``values`` (the thread's state when the run starts, resumes,
pauses and completes; ``__interrupt__`` when it pauses), ``updates`` (what
the run added, the interrupt), ``messages`` (for ``messages-tuple``: each
token as an ``AIMessageChunk`` with its metadata), ``custom`` (progress,
steps, messages, memory writes), ``tools`` (``on_tool_start`` and
``on_tool_end``), ``debug`` (every event as the platform stores it). A
failed run gives ``error`` in every mode.

Frame ids: the first frame of event ``n`` has id ``n`` (the event's seq),
the next ones ``n.1``, ``n.2``...; the ``metadata`` frame that opens a run's
stream has the id its span starts after (0 for a first run). So
``Last-Event-ID`` says exactly which frames a client has, and a stream
resumed from it sends each id once. ``messages`` (the older mode),
``events``, ``tasks`` and ``checkpoints`` are accepted and give no frames.
"""

from dataclasses import dataclass, field

from channels.db import database_sync_to_async

from contract import events as contract
from runs.events import AGENT_EVENT

from . import selectors, shapes

STREAM_MODES = (
    "values", "updates", "messages-tuple", "custom", "tools", "debug", "messages", "events", "tasks", "checkpoints",
)
# The modes a run streams when none is asked for (a join without ``stream_mode``, a run started elsewhere).
ALL_MODES = ("values", "updates", "messages-tuple", "custom", "tools")
CUSTOM_TYPES = (contract.PROGRESS, contract.STEP, contract.MESSAGE, contract.MEMORY)


class BadEventId(ValueError):
    pass


def parse_event_id(value, after_seq):
    """``(seq, frames already sent of that event)`` for a ``Last-Event-ID``; None: from the run's start.

    ``-1`` (or nothing) is the start, the ``metadata`` frame included; the
    span's own start (the metadata frame's id) is everything after it.
    """
    if value in (None, "", "-1", "-"):
        return None
    head, _, index = str(value).partition(".")
    try:
        seq, sent = int(head), (int(index) + 1 if index else 1)
    except ValueError:
        raise BadEventId(f"Not an event id of this stream: {value!r}.") from None
    if seq < after_seq or sent < 1:
        raise BadEventId(f"Not an event id of this stream: {value!r}.")
    if seq == after_seq:
        return after_seq + 1, 0
    return seq, sent


@dataclass
class RunFrames:
    """The frames of one run's stream; ``resume`` from where the client is, then ``frames`` per event message."""

    run_id: str
    thread_id: str
    execution_id: str
    assistant_id: str
    graph_id: str
    after_seq: int
    modes: tuple
    open_calls: dict = field(default_factory=dict)  # tool -> ids of its calls not yet ended, oldest first

    def __post_init__(self):
        self.modes = tuple(mode for mode in STREAM_MODES if mode in self.modes)

    def metadata(self):
        return ("metadata", {"run_id": self.run_id, "thread_id": self.thread_id, "attempt": 1}), str(self.after_seq)

    def prime(self, past_calls):
        """The tool calls and results before the resume point: each result ends the oldest open call of its tool."""
        for seq, event_type, tool in past_calls:
            self._track(seq, event_type, tool)

    def _track(self, seq, event_type, tool):
        calls = self.open_calls.setdefault(tool, [])
        if event_type == contract.TOOL_CALL:
            call_id = f"{self.execution_id}:{seq}"
            calls.append(call_id)
            return call_id
        return calls.pop(0) if calls else f"{self.execution_id}:{seq}"

    def ends_run(self, message):
        """After this event the run's stream is over: the execution ended, or paused within this span."""
        return message["type"] in contract.TERMINAL_TYPES or (
            message["type"] == contract.EXECUTION_INTERRUPTED and message["seq"] > self.after_seq
        )

    async def frames(self, message):
        """``[(event, data)]`` of one event message, in ``STREAM_MODES`` order."""
        kind = message["event_type"] if message["type"] == AGENT_EVENT else message["type"]
        content = message.get("content") or {}
        out = []
        state_point = kind in (
            contract.EXECUTION_STARTED, contract.EXECUTION_RESUMED, contract.EXECUTION_INTERRUPTED,
            contract.EXECUTION_COMPLETED,
        )
        interrupts = []
        if kind == contract.EXECUTION_INTERRUPTED:
            raised = message.get("interrupt") or {}
            interrupts = [shapes.interrupt(raised.get("id"), raised.get("kind"), raised.get("payload") or {})]
        if "values" in self.modes and state_point:
            values = await self._values(message["seq"])
            if interrupts:
                values["__interrupt__"] = interrupts
            out.append(("values", values))
        if "updates" in self.modes:
            if interrupts:
                out.append(("updates", {"__interrupt__": interrupts}))
            elif kind == contract.EXECUTION_COMPLETED:
                added = await self._reply(message["seq"])
                out.append(("updates", {shapes.NODE: {"messages": added}}))
        if "messages-tuple" in self.modes and kind == contract.TOKEN:
            chunk = {"type": "AIMessageChunk", "id": shapes.reply_id(self.execution_id),
                     "content": content.get("content", ""), "tool_calls": [], "tool_call_chunks": []}
            out.append(("messages", [chunk, self._message_metadata()]))
        if "custom" in self.modes and kind in CUSTOM_TYPES:
            out.append(("custom", {"type": kind, **content}))
        if kind in (contract.TOOL_CALL, contract.TOOL_RESULT):
            call_id = self._track(message["seq"], kind, content.get("tool"))
            if "tools" in self.modes:
                out.append(("tools", self._tool_part(kind, call_id, content)))
        if "debug" in self.modes:
            out.append(("debug", {"type": kind, "step": message["seq"], "timestamp": message["timestamp"],
                                  "payload": message}))
        if kind == contract.EXECUTION_ERROR:
            out.append(("error", {"error": message.get("code") or "error", "message": message.get("message", "")}))
        return out

    def _message_metadata(self):
        return {"langgraph_node": shapes.NODE, "run_id": self.run_id, "thread_id": self.thread_id,
                "assistant_id": self.assistant_id, "graph_id": self.graph_id}

    @staticmethod
    def _tool_part(kind, call_id, content):
        if kind == contract.TOOL_CALL:
            return {"event": "on_tool_start", "toolCallId": call_id, "name": content.get("tool"),
                    "input": content.get("arguments")}
        result = content.get("result")
        if isinstance(result, dict) and set(result) == {"error"}:
            return {"event": "on_tool_error", "toolCallId": call_id, "name": content.get("tool"),
                    "error": result["error"]}
        return {"event": "on_tool_end", "toolCallId": call_id, "name": content.get("tool"), "output": result}

    async def _values(self, seq):
        return await database_sync_to_async(selectors.thread_values)(self.thread_id, (self.execution_id, seq))

    async def _reply(self, seq):
        before = await database_sync_to_async(selectors.thread_values)(self.thread_id, (self.execution_id, seq - 1))
        after = await self._values(seq)
        known = {message["id"] for message in before["messages"]}
        return [message for message in after["messages"] if message["id"] not in known]
