"""``tools``: a ReAct loop; the model calls built-in tools until it can answer.

Each iteration is one model call (``progress`` stage ``thinking``, its percent
the share of ``max_iterations`` used before it). When the model picks a tool,
a ``tool_call`` event (``tool``, ``arguments``) and, once it ran, a
``tool_result`` event (``tool``, ``result``) follow, and the result goes back
to the model. When it answers, the answer streams as ``token``
events. At most ``max_iterations`` model calls are made: the last one, or one
after the model repeated a call it already made, must answer. A ``progress``
``done`` (100 percent) follows the answer: most runs answer long before
``max_iterations``, so the percent would otherwise stop far short of 100.

How the model picks a tool depends on the provider:

* native tool calls (``openai``): the tools are offered in the request and
  the model answers with tool calls or with text; text streams live, and the
  answer is the text of the turn that called no tool;
* otherwise (``local``): each step is a JSON object constrained by a schema
  (``{"tool": name, "arguments": {...}}`` or ``{"tool": "answer"}``) that
  llama.cpp enforces while decoding, so even a 135M model produces a valid
  choice; the answer is then written in a separate, free-text call given the
  question and the tool results.

A tool that fails returns ``{"error": message}`` to the model instead of
failing the run. Every model call, a decision or the answer, ends with its
``model_call`` step. Result: ``{"text", "tool_calls": [{"tool", "arguments",
"result"}], "iterations", "provider", "model", "finish_reason", "usage"}``.

A person can be in the loop. With ``ask_human`` among its ``tools`` the
model may ask the user a question; a tool listed in ``confirm_tools`` is
only called once the user approved the call (or edited its arguments; a
rejection goes back to the model as the tool's error). Either way the run
ends its stream with an ``Interrupt`` whose state is the whole loop
(``ReActLoop.checkpoint``: the conversation with the model, the calls made,
the calls of the turn still to make), and the run resumed with the answer
goes on from that call: nothing already done is done again. A call that
needs a person emits its ``tool_call`` and ``tool_result`` once answered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from contract import interrupts
from mcp_server import events
from mcp_server.agent_tools import AGENT_TOOLS, AgentTool, ToolContext, ToolError, ToolExample
from mcp_server.agent_tools.human import ASK_HUMAN_TOOL
from mcp_server.agent_tools.memory import MEMORY_TOOLS, MemoryPad
from mcp_server.events import Event, Interrupt, Result, RuntimeFailure
from mcp_server.protocol import Resume, RunRequest
from mcp_server.providers import Provider, TextDelta, ToolCall, ToolSpec
from mcp_server.runtimes.base import Runtime
from mcp_server.runtimes.llm import (
    ModelCalls,
    TextCollector,
    chat_request,
    conversation,
    llm_input_schema,
    llm_options,
    provider_for,
    remembered,
    with_memory,
)

logger = logging.getLogger(__name__)

DEFAULT_SYSTEM_PROMPT = (
    "You are a careful assistant. Use a tool whenever it gives a more reliable answer than memory: "
    "the calculator for arithmetic, current_time for dates and times, search_knowledge for the "
    "agent's documents. Then answer briefly."
)
ANSWER = "answer"
# Requests answered without a tool, for the JSON loop's worked examples.
NO_TOOL_EXAMPLES = tuple(
    ToolExample(request, {}, None, "")
    for request in ("Hello!", "Tell me a story.", "What is the capital of Italy?", "Thank you, that helps.")
)
# How many worked examples a decision is shown.
WORKED_DECISIONS = 2
DECISION_MAX_TOKENS = 256
# Every tool a config may list: the built-in ones and the person.
OFFERABLE_TOOLS: dict[str, AgentTool] = {**AGENT_TOOLS, **MEMORY_TOOLS, ASK_HUMAN_TOOL.name: ASK_HUMAN_TOOL}
INVALID_RESUME = "invalid_resume"


class Pause(Exception):
    """The loop needs a person before its next call: ``kind`` and ``payload`` of the interrupt."""

    def __init__(self, kind: str, payload: dict[str, Any]) -> None:
        super().__init__(kind)
        self.kind = kind
        self.payload = payload


class ToolsRuntime(Runtime):
    name = "tools"
    description = "An agent that calls built-in tools (calculator, current time, knowledge search) before answering."
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **llm_options(system_prompt=DEFAULT_SYSTEM_PROMPT, temperature=0.2, max_tokens=512),
            "max_iterations": {
                "type": "integer",
                "minimum": 1,
                "maximum": 20,
                "default": 5,
                "description": "Most model calls per run; the last one must answer.",
            },
            "tools": {
                "type": "array",
                "items": {"enum": sorted(OFFERABLE_TOOLS)},
                "uniqueItems": True,
                "default": sorted(AGENT_TOOLS),
                "description": "The tools the agent may use; ask_human lets it ask the user and wait, "
                "remember and recall give it a memory of its user across conversations.",
            },
            "confirm_tools": {
                "type": "array",
                "items": {"enum": sorted(AGENT_TOOLS)},
                "uniqueItems": True,
                "default": [],
                "description": "Tools called only once the user approved the call (or edited its arguments).",
            },
        },
    }
    input_schema = llm_input_schema("The request or question; the agent uses its tools to answer it.")
    input_example = {"message": "What is 17 * 23 + 4?"}

    async def run(self, request: RunRequest) -> AsyncIterator[Event | Result | Interrupt]:
        config = with_memory(request.agent.config, request.input_data)
        provider = provider_for(request)
        memory = MemoryPad(remembered(request.input_data), request.services)
        context = ToolContext(request.agent.id, request.services, memory)
        if request.resume is None:
            loop = ReActLoop.start(provider, config, context, conversation(request.input_data))
        else:
            loop = ReActLoop.resume(provider, config, context, request.resume)
        try:
            async for event in loop.steps():
                yield event
        except Pause as pause:
            yield Interrupt(pause.kind, pause.payload, loop.checkpoint())
            return
        yield events.done()
        yield Result(
            {
                "text": loop.answer,
                "tool_calls": loop.calls,
                "iterations": loop.iterations,
                "provider": provider.name,
                "model": loop.model_calls.model,
                **loop.model_calls.summary(),
            }
        )


class ReActLoop:
    """One run's loop; ``answer``, ``calls`` and ``iterations`` hold its outcome.

    Everything the loop knows between two model calls is in plain JSON
    attributes, so that a pause can checkpoint it (``checkpoint``) and a
    resumed run, maybe on another server, rebuild it (``resume``):

    ``chat``        the messages sent to the model so far
    ``messages``    the user's conversation (the JSON loop answers from it)
    ``calls``       the calls made, with their results
    ``iterations``  model calls made
    ``pending``     the calls of the current turn still to make, each
                    ``{"id", "name", "arguments", "decision"}``
    ``must_answer`` the next turn must answer (native loop: every call of
                    the turn was a repeat)

    The model calls made so far (``ModelCalls.calls``) are checkpointed too,
    so a resumed run's result sums up all of them.
    """

    STATE = ("chat", "messages", "calls", "iterations", "pending", "must_answer", "seen")

    def __init__(self, provider: Provider, config: dict[str, Any], context: ToolContext) -> None:
        self.provider = provider
        self.config = config
        self.context = context
        self.tools: dict[str, AgentTool] = {name: OFFERABLE_TOOLS[name] for name in config["tools"]}
        self.native = provider.native_tool_calls
        self.answer = ""
        self.chat: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.iterations = 0
        self.pending: list[dict[str, Any]] = []
        self.must_answer = False
        self.seen: list[str] = []
        self.model_calls = ModelCalls(provider, config)
        self._answer: Any = None  # the person's answer for pending[0], on resume

    @classmethod
    def start(cls, provider, config, context, messages: list[dict]) -> ReActLoop:
        loop = cls(provider, config, context)
        loop.messages = messages
        # The JSON loop's worked examples go in before its first decision (``steps``): they depend on the request.
        system = config["system_prompt"] if loop.native else loop._json_instructions()
        loop.chat = [{"role": "system", "content": system}, *messages]
        loop.must_answer = loop.native and not loop.tools
        return loop

    @classmethod
    def resume(cls, provider, config, context, resume: Resume) -> ReActLoop:
        loop = cls(provider, config, context)
        state = resume.state
        if state.get("native") != loop.native or not _is_state(state):
            raise RuntimeFailure("The resume state is not this agent's tools loop.", INVALID_RESUME)
        for name in cls.STATE:
            setattr(loop, name, state[name])
        loop.model_calls.restore(state.get("model_calls"))
        if not loop.pending or _kind_of(loop.pending[0]["name"], config) != resume.kind:
            raise RuntimeFailure("The resume answers no call this loop waits for.", INVALID_RESUME)
        loop._answer = resume.answer
        return loop

    def checkpoint(self) -> dict[str, Any]:
        return {"native": self.native, **{name: getattr(self, name) for name in self.STATE},
                "model_calls": self.model_calls.calls}

    async def steps(self) -> AsyncIterator[Event]:
        """The loop's events up to the answer (streamed); raises ``Pause`` when a call needs a person."""
        if self.pending:
            async for event in self._make_pending_calls():
                yield event
        if not self.native and self.iterations == 0 and self.tools:
            self.chat[1:1] = await self._worked_decisions()
        turns = self._native_turn if self.native else self._json_turn
        while (iteration := self._next_iteration()) is not None:
            yield self._thinking(iteration)
            answered = False
            async for event in turns(iteration):
                if event is None:
                    answered = True
                else:
                    yield event
            if answered:
                break
            async for event in self._make_pending_calls():
                yield event
        if not self.native:
            async for event in self._json_answer():
                yield event

    async def _native_turn(self, iteration: int) -> AsyncIterator[Event | None]:
        """One model call; its text streams. Yields None last when it answered (no tool call)."""
        must_answer = self.must_answer or iteration == self.config["max_iterations"]
        specs = tuple(ToolSpec(tool.name, tool.description, tool.parameters) for tool in self.tools.values())
        turn = TextCollector()
        calls: list[ToolCall] = []
        request = chat_request(self.config, self.chat, tools=specs, tool_choice="none" if must_answer else "auto")
        async for item in self.model_calls.stream(request, "turn"):
            if isinstance(item, TextDelta) and item.text:
                turn.parts.append(item.text)
                yield events.token(item.text)
            elif isinstance(item, ToolCall) and not must_answer:
                calls.append(item)
        yield self.model_calls.event()
        if not calls:
            self.answer = turn.text
            yield None
            return
        self.chat.append(
            {
                "role": "assistant",
                "content": turn.text or None,
                "tool_calls": [
                    {"id": call.id, "type": "function",
                     "function": {"name": call.name, "arguments": call.raw_arguments}}
                    for call in calls
                ],
            }
        )
        repeats = sum(self._is_repeat(call.name, call.arguments) for call in calls)
        self.must_answer = repeats == len(calls)
        self.pending = [{"id": call.id, "name": call.name, "arguments": call.arguments} for call in calls]

    async def _json_turn(self, iteration: int) -> AsyncIterator[Event | None]:
        """One constrained decision (nothing streams). Yields None when the loop should answer now."""
        if not self.tools or iteration == self.config["max_iterations"]:
            yield None
            return
        decision_text = ""
        max_tokens = min(self.config["max_tokens"], DECISION_MAX_TOKENS)
        # Greedy and unpenalized: a decision copies names and numbers from the request and the examples,
        # which a repetition penalty would steer away from.
        request = chat_request(self.config, self.chat, json_schema=decision_schema(self.tools.values()),
                               max_tokens=max_tokens, temperature=0, repeat_penalty=1.0, frequency_penalty=0,
                               presence_penalty=0)
        async for item in self.model_calls.stream(request, "decision"):
            if isinstance(item, TextDelta):
                decision_text += item.text
        yield self.model_calls.event()
        decision = _parse_decision(decision_text)
        if decision is None or decision["tool"] == ANSWER:
            yield None
            return
        name, arguments = decision["tool"], decision.get("arguments", {})
        if self._is_repeat(name, arguments):
            yield None
            return
        self.pending = [{"id": None, "name": name, "arguments": arguments, "decision": decision_text}]

    async def _json_answer(self) -> AsyncIterator[Event]:
        """The JSON loop's answer: a free-text call given the question and the results."""
        answer = TextCollector()
        prompt = [{"role": "system", "content": self.config["system_prompt"]}, *await self._worked_answers(),
                  *self.messages[:-1],
                  {"role": "user", "content": self._question_with_results(self.messages[-1]["content"])}]
        request = chat_request(self.config, prompt, grammar=self._answer_grammar())
        async for event in answer.stream(self.model_calls, request):
            yield event
        self.answer = answer.text

    async def _make_pending_calls(self) -> AsyncIterator[Event]:
        """Make the turn's calls in order; ``Pause`` (leaving them pending) at one that needs a person."""
        while self.pending:
            call = self.pending[0]
            name, arguments = call["name"], call["arguments"]
            if self._answer is None:
                self._check_needs_person(name, arguments)
                result = await self._tool_result(name, arguments)
            else:
                arguments, result = await self._answered_call(name, arguments, self._answer)
                self._answer = None
            yield events.tool_call(name, arguments if arguments is not None else {})
            if self.context.memory is not None:
                for event in self.context.memory.drain():  # what the call remembered
                    yield event
            self.calls.append({"tool": name, "arguments": arguments, "result": result})
            yield events.tool_result(name, result)
            self.pending.pop(0)
            self._give_result(call, result)

    def _check_needs_person(self, name: str, arguments: dict | None) -> None:
        kind = _kind_of(name, self.config)
        if kind is None or arguments is None:
            return
        if kind == interrupts.ASK_HUMAN:
            try:
                raise Pause(kind, ASK_HUMAN_TOOL.payload(ASK_HUMAN_TOOL.check_arguments(arguments)))
            except ToolError:
                return  # the model's question is malformed: the call's result says so
        if name in self.tools:
            raise Pause(kind, {"tool": name, "arguments": arguments})

    async def _answered_call(self, name: str, arguments: dict | None, answer: Any) -> tuple[dict | None, Any]:
        """The arguments the call is made with and its result, given the person's answer."""
        if name == ASK_HUMAN_TOOL.name:
            return arguments, {"answer": answer}
        action = answer["action"]
        if action == interrupts.REJECT:
            reason = answer.get("reason")
            return arguments, {"error": f"The user declined this call{f': {reason}' if reason else '.'}"}
        if action == interrupts.EDIT:
            arguments = answer["arguments"]
        return arguments, await self._tool_result(name, arguments)

    def _give_result(self, call: dict[str, Any], result: Any) -> None:
        """The call's result goes back to the model, as its provider takes it."""
        if self.native:
            self.chat.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result)})
            return
        self.chat.append({"role": "assistant", "content": call["decision"]})
        self.chat.append({"role": "user", "content": _result_message(call["name"], result)})

    def _next_iteration(self) -> int | None:
        if self.iterations >= self.config["max_iterations"]:
            return None
        self.iterations += 1
        return self.iterations

    def _thinking(self, iteration: int) -> Event:
        total = self.config["max_iterations"]
        return events.progress("thinking", f"Step {iteration} of at most {total}",
                               percent=(iteration - 1) * 100 // total)

    def _is_repeat(self, name: str, arguments: dict | None) -> bool:
        key = json.dumps([name, arguments], sort_keys=True)
        repeat = key in self.seen
        if not repeat:
            self.seen.append(key)
        return repeat

    async def _tool_result(self, name: str, arguments: dict | None) -> Any:
        tool = self.tools.get(name)
        if tool is None:
            return {"error": f"Unknown tool {name!r}; available: {', '.join(self.tools) or 'none'}."}
        if arguments is None:
            return {"error": "The arguments were not a valid JSON object."}
        try:
            return await tool.call(tool.check_arguments(arguments), self.context)
        except ToolError as error:
            return {"error": str(error)}
        except Exception:
            logger.exception("tool %s failed", name)
            return {"error": f"The {name} tool failed unexpectedly."}

    def _json_instructions(self) -> str:
        # Names and what they do; the arguments' shapes are the grammar's to enforce (type hints
        # such as {"timezone": "string"} are what a small model copies instead of a value).
        lines = [self.config["system_prompt"], "", "Tools:"]
        lines += [f"- {tool.name}: {tool.description}" for tool in self.tools.values()]
        lines += ["", 'Reply with one JSON object: {"tool": "<name>", "arguments": {...}} to use a tool, '
                  + 'or {"tool": "answer"} to reply without one.']
        return "\n".join(lines)

    async def _worked_decisions(self) -> list[dict[str, str]]:
        """The worked examples nearest the request, nearest last: the decisions a small model copies.

        A 135M model copies the pattern it saw last, whatever the request,
        so it is shown the examples (of the agent's tools, and of requests
        answered without one) closest in meaning to this request: the
        request, then the JSON decision taken for it.
        """
        shown = await self._nearest_examples(self.messages[-1]["content"], WORKED_DECISIONS)
        turns: list[dict[str, str]] = []
        for tool, example in shown:
            decision = {"tool": ANSWER} if tool is None else {"tool": tool.name, "arguments": example.arguments}
            turns += [{"role": "user", "content": example.request},
                      {"role": "assistant", "content": json.dumps(decision)}]
        return turns

    async def _worked_answers(self) -> list[dict[str, str]]:
        """For each tool called, its example nearest the request, answered from its result."""
        turns: list[dict[str, str]] = []
        for name in dict.fromkeys(call["tool"] for call in self.calls):
            tool = self.tools.get(name)
            if tool is None:
                continue
            [(_, example)] = await self._nearest_examples(self.messages[-1]["content"], 1, [tool])
            results = [{"tool": name, "arguments": example.arguments, "result": example.result}]
            turns += [{"role": "user", "content": _with_results(example.request, results)},
                      {"role": "assistant", "content": example.answer}]
        return turns

    async def _nearest_examples(self, request: str, count: int, tools=None) -> list[tuple[AgentTool | None, Any]]:
        """The ``count`` examples closest to ``request``, farthest first; (None, ...) for one needing no tool.

        Without the embedding model (or services) it is the first example of
        each tool, then a greeting: still a pattern, just not the nearest.
        """
        candidates: list[tuple[AgentTool | None, Any]] = [
            (tool, example) for tool in (tools or self.tools.values()) for example in tool.examples
        ]
        if tools is None:
            candidates += [(None, example) for example in NO_TOOL_EXAMPLES]
        services = self.context.services
        try:
            if services is None:
                raise LookupError("no services")
            scores = await services.knowledge.similarities(
                request, [example.request for _, example in candidates], fixed=True
            )
        except Exception as error:
            logger.warning("worked examples not ranked (%s): showing the first of each", error)
            firsts = {id(tool): (tool, example) for tool, example in reversed(candidates)}
            return list(reversed(firsts.values()))[: count if tools is not None else None]
        ranked = sorted(zip(scores, range(len(candidates)), strict=True), reverse=True)[:count]
        return [candidates[index] for _, index in reversed(ranked)]

    def _answer_grammar(self) -> str | None:
        """For a provider without tool calls: the answer must state the results' facts, word for word.

        A small model given "17 * 23 + 4 returned 395" still writes "The
        answer is 396" now and then; held to a grammar, it writes its own
        words around the facts but cannot change them, nor add numbers of its
        own (``answer_facts`` of each tool called; none: no grammar).
        """
        if self.native:
            return None
        facts = [fact for call in self.calls if (tool := self.tools.get(call["tool"])) is not None
                 for fact in tool.answer_facts(call["result"])]
        if not facts:
            return None
        # Plain words around the facts: no digits, no other scripts (a small model, held back
        # from numbers, reaches for stray symbols instead), and a short tail.
        words = "[a-zA-Z ,.;:'()!?%/-]"
        body = " lead ".join(json.dumps(fact) for fact in facts)
        return f"root ::= lead {body} tail\nlead ::= {words}{{0,160}}\ntail ::= {words}{{0,80}}\n"

    def _question_with_results(self, question: str) -> str:
        return _with_results(question, self.calls) if self.calls else question


def _result_message(name: str, result: Any) -> str:
    return (f"Result of {name}: {json.dumps(result)}\n"
            'Reply with the next JSON action, or {"tool": "answer"} if you can answer now.')


def _with_results(question: str, calls: list[dict[str, Any]]) -> str:
    results = "\n".join(
        f"- {call['tool']}({json.dumps(call['arguments'])}) returned {json.dumps(call['result'])}" for call in calls
    )
    return f"{question}\n\nTool results:\n{results}\n\nAnswer the question using these results."


def _kind_of(name: str, config: dict[str, Any]) -> str | None:
    """The interrupt a call of this tool waits for, if any."""
    if name == ASK_HUMAN_TOOL.name and name in config["tools"]:
        return interrupts.ASK_HUMAN
    if name in config["confirm_tools"]:
        return interrupts.CONFIRM_TOOL
    return None


def _is_state(state: dict[str, Any]) -> bool:
    types = {"chat": list, "messages": list, "calls": list, "iterations": int, "pending": list,
             "must_answer": bool, "seen": list}
    return all(isinstance(state.get(name), kind) for name, kind in types.items()) and all(
        isinstance(call, dict) and isinstance(call.get("name"), str) for call in state["pending"]
    )


def decision_schema(tools) -> dict[str, Any]:
    """JSON schema of one step of the JSON loop: a tool with its arguments, or the answer."""
    choices = [
        {
            "type": "object",
            "properties": {"tool": {"const": tool.name}, "arguments": tool.parameters},
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for tool in tools
    ]
    choices.append(
        {"type": "object", "properties": {"tool": {"const": ANSWER}}, "required": ["tool"],
         "additionalProperties": False}
    )
    return {"anyOf": choices}


def _parse_decision(text: str) -> dict[str, Any] | None:
    # Constrained decoding makes this valid JSON, unless max_tokens cut it short.
    try:
        decision = json.loads(text)
    except ValueError:
        return None
    if not isinstance(decision, dict) or not isinstance(decision.get("tool"), str):
        return None
    if not isinstance(decision.get("arguments", {}), dict):
        return None
    return decision

