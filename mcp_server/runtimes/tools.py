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
failing the run. Result: ``{"text", "tool_calls": [{"tool", "arguments",
"result"}], "iterations", "provider", "model"}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from mcp_server import events
from mcp_server.agent_tools import AGENT_TOOLS, AgentTool, ToolContext, ToolError
from mcp_server.events import Event, Result
from mcp_server.protocol import RunRequest
from mcp_server.providers import Provider, TextDelta, ToolCall, ToolSpec
from mcp_server.runtimes.base import Runtime
from mcp_server.runtimes.llm import (
    TextCollector,
    chat_request,
    conversation,
    llm_input_schema,
    llm_options,
    provider_for,
)

logger = logging.getLogger(__name__)

DEFAULT_SYSTEM_PROMPT = (
    "You are a careful assistant. Use a tool whenever it gives a more reliable answer than memory: "
    "the calculator for arithmetic, current_time for dates and times, search_knowledge for the "
    "agent's documents. Then answer briefly."
)
ANSWER = "answer"
DECISION_MAX_TOKENS = 256


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
                "items": {"enum": sorted(AGENT_TOOLS)},
                "uniqueItems": True,
                "default": sorted(AGENT_TOOLS),
                "description": "The built-in tools the agent may use.",
            },
        },
    }
    input_schema = llm_input_schema("The request or question; the agent uses its tools to answer it.")
    input_example = {"message": "What is 17 * 23 + 4?"}

    async def run(self, request: RunRequest) -> AsyncIterator[Event | Result]:
        config = request.agent.config
        messages = conversation(request.input_data)
        provider = provider_for(request)
        loop = ReActLoop(provider, config, ToolContext(request.agent.id, request.services))
        steps = loop.native_steps(messages) if provider.native_tool_calls else loop.json_steps(messages)
        async for event in steps:
            yield event
        yield events.done()
        yield Result(
            {
                "text": loop.answer,
                "tool_calls": loop.calls,
                "iterations": loop.iterations,
                "provider": provider.name,
                "model": provider.model_name(config["model"]),
            }
        )


class ReActLoop:
    """One run's loop; ``answer``, ``calls`` and ``iterations`` hold its outcome."""

    def __init__(self, provider: Provider, config: dict[str, Any], context: ToolContext) -> None:
        self.provider = provider
        self.config = config
        self.context = context
        self.tools: dict[str, AgentTool] = {name: AGENT_TOOLS[name] for name in config["tools"]}
        self.answer = ""
        self.calls: list[dict[str, Any]] = []
        self.iterations = 0
        self._seen: set[str] = set()

    async def native_steps(self, messages: list[dict]) -> AsyncIterator[Event]:
        chat = [{"role": "system", "content": self.config["system_prompt"]}, *messages]
        specs = tuple(ToolSpec(tool.name, tool.description, tool.parameters) for tool in self.tools.values())
        must_answer = not specs
        for iteration in self._iterations():
            yield self._thinking(iteration)
            must_answer = must_answer or iteration == self.config["max_iterations"]
            turn = TextCollector()
            calls: list[ToolCall] = []
            request = chat_request(self.config, chat, tools=specs, tool_choice="none" if must_answer else "auto")
            async for item in self.provider.stream(request):
                if isinstance(item, TextDelta) and item.text:
                    turn.parts.append(item.text)
                    yield events.token(item.text)
                elif isinstance(item, ToolCall) and not must_answer:
                    calls.append(item)
            if not calls:
                self.answer = turn.text
                return
            chat.append(
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
            repeats = 0
            for call in calls:
                repeats += self._is_repeat(call.name, call.arguments)
                async for event in self._use_tool(call.name, call.arguments):
                    yield event
                chat.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(self.calls[-1]["result"])})
            must_answer = repeats == len(calls)

    async def json_steps(self, messages: list[dict]) -> AsyncIterator[Event]:
        chat = [{"role": "system", "content": self._json_instructions()}, *messages]
        schema = decision_schema(self.tools.values())
        for iteration in self._iterations():
            yield self._thinking(iteration)
            if not self.tools or iteration == self.config["max_iterations"]:
                break
            decision_text = ""
            max_tokens = min(self.config["max_tokens"], DECISION_MAX_TOKENS)
            request = chat_request(self.config, chat, json_schema=schema, max_tokens=max_tokens)
            async for item in self.provider.stream(request):
                if isinstance(item, TextDelta):
                    decision_text += item.text
            decision = _parse_decision(decision_text)
            if decision is None or decision["tool"] == ANSWER:
                break
            name, arguments = decision["tool"], decision.get("arguments", {})
            if self._is_repeat(name, arguments):
                break
            async for event in self._use_tool(name, arguments):
                yield event
            chat.append({"role": "assistant", "content": decision_text})
            chat.append({"role": "user", "content": f"Result of {name}: {json.dumps(self.calls[-1]['result'])}\n"
                         'Reply with the next JSON action, or {"tool": "answer"} if you can answer now.'})
        answer = TextCollector()
        prompt = [{"role": "system", "content": self.config["system_prompt"]}, *messages[:-1],
                  {"role": "user", "content": self._question_with_results(messages[-1]["content"])}]
        async for event in answer.stream(self.provider, chat_request(self.config, prompt)):
            yield event
        self.answer = answer.text

    def _iterations(self):
        for iteration in range(1, self.config["max_iterations"] + 1):
            self.iterations = iteration
            yield iteration

    def _thinking(self, iteration: int) -> Event:
        total = self.config["max_iterations"]
        return events.progress("thinking", f"Step {iteration} of at most {total}",
                               percent=(iteration - 1) * 100 // total)

    def _is_repeat(self, name: str, arguments: dict | None) -> bool:
        key = json.dumps([name, arguments], sort_keys=True)
        repeat = key in self._seen
        self._seen.add(key)
        return repeat

    async def _use_tool(self, name: str, arguments: dict | None) -> AsyncIterator[Event]:
        yield events.tool_call(name, arguments if arguments is not None else {})
        result = await self._tool_result(name, arguments)
        self.calls.append({"tool": name, "arguments": arguments, "result": result})
        yield events.tool_result(name, result)

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
        lines = [self.config["system_prompt"], "", "Tools:"]
        for tool in self.tools.values():
            arguments = {key: spec.get("type", "any") for key, spec in tool.parameters["properties"].items()}
            lines.append(f"- {tool.name}: {tool.description} Arguments: {json.dumps(arguments)}")
        lines += ["", 'Reply with one JSON object: {"tool": "<name>", "arguments": {...}} to use a tool, '
                  + 'or {"tool": "answer"} when you can answer.']
        return "\n".join(lines)

    def _question_with_results(self, question: str) -> str:
        if not self.calls:
            return question
        results = "\n".join(
            f"- {call['tool']}({json.dumps(call['arguments'])}) returned {json.dumps(call['result'])}"
            for call in self.calls
        )
        return f"{question}\n\nTool results:\n{results}\n\nAnswer the question using these results."


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

