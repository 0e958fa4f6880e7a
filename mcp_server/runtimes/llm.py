"""What the LLM runtimes (chat, rag, tools) share: config options, input, provider calls.

Config options every LLM runtime has (see ``llm_options``):

``provider``       ``"local"`` | ``"openai"`` | null (the server's ``LLM_PROVIDER``)
``model``          model name for the provider, null for its default
``system_prompt``  the instructions the model gets first
``temperature``    0..2
``max_tokens``     1..8192, per model call
``stop``           up to 4 strings; the model stops before writing one
``repeat_penalty`` 1..2, how much a token already written is held back (local only)
``frequency_penalty``, ``presence_penalty``  -2..2, the same, the OpenAI way
``stop_loops``     end a call whose text starts repeating itself (default on)

Every model call a run makes is reported as a ``step`` named ``model_call``
once it ended (``ModelCalls``): its purpose, provider and model, why it
ended (``finish_reason``: ``stop``, ``length`` at ``max_tokens``,
``repetition`` when it was ended for repeating itself, ``tool_calls``), the
tokens it read and wrote (``usage``) and how long it took; a run's result
sums them up (``finish_reason`` of its last call, ``usage``).

Input: ``input_data["message"]`` (or ``question``, ``prompt``, ``query``,
``input``, ``text``: the first present string), and optionally
``input_data["messages"]``, the conversation so far as
``[{"role": "user"|"assistant"|"system", "content": str}, ...]``
(``llm_input_schema`` says the same as a JSON schema).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from contract.memory import item_text
from contract.runtimes import MESSAGE_KEYS, user_message
from mcp_server import events
from mcp_server.events import Event, RuntimeFailure
from mcp_server.protocol import RunRequest
from mcp_server.providers import PROVIDER_NAMES, ChatRequest, Finish, Provider, TextDelta, ToolCall

INVALID_INPUT = "invalid_input"
NO_SERVICES = "no_services"
MAX_MEMORY_ITEMS = 50
HISTORY_ROLES = ("user", "assistant", "system")
# Older turns beyond these are dropped: a small local context fills up fast.
MAX_HISTORY_MESSAGES = 40
MODEL_CALL_STEP = "model_call"
# The finish reason of a call ended because its text started repeating itself.
REPETITION = "repetition"
SAMPLING_OPTIONS = ("stop", "repeat_penalty", "frequency_penalty", "presence_penalty")


# Measured with `make eval` on the embedded model: see docs/quality.md.
DEFAULT_REPEAT_PENALTY = 1.1


def llm_options(*, system_prompt: str, temperature: float, max_tokens: int) -> dict[str, Any]:
    """The JSON-schema properties every LLM runtime accepts, with this runtime's defaults."""
    return {
        "provider": {
            "type": ["string", "null"],
            "enum": [*PROVIDER_NAMES, None],
            "default": None,
            "description": "LLM provider: 'local' (in-process SmolLM2-135M) or 'openai' (any "
            "OpenAI-compatible endpoint); null uses the server's LLM_PROVIDER.",
        },
        "model": {
            "type": ["string", "null"],
            "maxLength": 200,
            "default": None,
            "description": "Model name for the provider; null uses its default (OPENAI_MODEL for openai).",
        },
        "system_prompt": {
            "type": "string",
            "maxLength": 20_000,
            "default": system_prompt,
            "description": "Instructions the model receives before the conversation.",
        },
        "temperature": {
            "type": "number",
            "minimum": 0,
            "maximum": 2,
            "default": temperature,
            "description": "Sampling temperature; 0 is the most deterministic.",
        },
        "max_tokens": {
            "type": "integer",
            "minimum": 1,
            "maximum": 8192,
            "default": max_tokens,
            "description": "Most tokens the model may write per call.",
        },
        "stop": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 100},
            "maxItems": 4,
            "default": [],
            "description": "Texts the model stops before writing (stop sequences).",
        },
        "repeat_penalty": {
            "type": "number",
            "minimum": 1,
            "maximum": 2,
            "default": DEFAULT_REPEAT_PENALTY,
            "description": "How much the local model holds back tokens it wrote lately (1: not at all); "
            "the openai provider ignores it.",
        },
        "frequency_penalty": {
            "type": "number",
            "minimum": -2,
            "maximum": 2,
            "default": 0,
            "description": "Holds back tokens by how often they were written already.",
        },
        "presence_penalty": {
            "type": "number",
            "minimum": -2,
            "maximum": 2,
            "default": 0,
            "description": "Holds back tokens that were written at all already.",
        },
        "stop_loops": {
            "type": "boolean",
            "default": True,
            "description": "End a model call whose text starts repeating itself (finish reason 'repetition').",
        },
    }


def llm_input_schema(message_description: str) -> dict[str, Any]:
    """The JSON schema of what ``conversation`` accepts: a new message, a history, or both.

    Any of ``MESSAGE_KEYS`` may carry the message; ``message_description`` says
    what it is for this runtime. The history must end with a user message when
    no new message is given, which a schema cannot say; ``conversation`` does.
    """
    text = {"type": "string", "pattern": r"\S"}
    other_names = {key: {**text, "description": "Another name for message."} for key in MESSAGE_KEYS[1:]}
    return {
        "type": "object",
        "properties": {
            MESSAGE_KEYS[0]: {**text, "description": message_description},
            **other_names,
            "messages": {
                "type": "array",
                "description": "The conversation so far, oldest first; the last "
                f"{MAX_HISTORY_MESSAGES} are used.",
                "items": {
                    "type": "object",
                    "properties": {"role": {"enum": list(HISTORY_ROLES)}, "content": {"type": "string"}},
                    "required": ["role", "content"],
                },
            },
            "memory": {
                "type": "array",
                "description": "What the agent remembers about its user (the platform gives a run the items "
                "that best match its message); the model sees them with its instructions.",
                "maxItems": MAX_MEMORY_ITEMS,
                "items": {
                    "type": "object",
                    "properties": {"namespace": {"type": "string"}, "key": {"type": "string"}, "value": {}},
                    "required": ["key", "value"],
                },
            },
        },
        "anyOf": [
            *({"required": [key]} for key in MESSAGE_KEYS),
            {"required": ["messages"], "properties": {"messages": {"minItems": 1}}},
        ],
    }


def provider_for(request: RunRequest) -> Provider:
    if request.services is None:
        raise RuntimeFailure("This server was started without LLM providers.", NO_SERVICES)
    return request.services.provider(request.agent.config["provider"])


def chat_request(config: dict[str, Any], messages: list[dict[str, Any]], **options: Any) -> ChatRequest:
    """A ``ChatRequest`` with the model and sampling options of an agent config; ``options`` override."""
    defaults = {name: config[name] for name in ("model", "temperature", "max_tokens", *SAMPLING_OPTIONS)}
    defaults["stop"] = tuple(defaults["stop"])
    return ChatRequest(messages=messages, **{**defaults, **options})


def remembered(input_data: dict[str, Any]) -> list[dict[str, Any]]:
    """``input_data["memory"]``: the well-formed items of it (at most ``MAX_MEMORY_ITEMS``)."""
    items = input_data.get("memory")
    if not isinstance(items, list):
        return []
    return [
        {"namespace": str(item.get("namespace") or "default"), "key": item["key"], "value": item["value"]}
        for item in items[:MAX_MEMORY_ITEMS]
        if isinstance(item, dict) and isinstance(item.get("key"), str) and "value" in item
    ]


def with_memory(config: dict[str, Any], input_data: dict[str, Any]) -> dict[str, Any]:
    """``config`` whose system prompt also says what the agent remembers about its user (if anything)."""
    items = remembered(input_data)
    if not items:
        return config
    lines = "\n".join(f"- {item_text(item['key'], item['value'])}" for item in items)
    prompt = f"{config['system_prompt']}\n\nWhat you remember about the user from earlier conversations:\n{lines}"
    return {**config, "system_prompt": prompt}


def conversation(input_data: dict[str, Any]) -> list[dict[str, str]]:
    """``input_data["messages"]`` checked, plus the new message: the user's side of a chat."""
    history = input_data.get("messages", [])
    if not isinstance(history, list) or not all(_is_message(item) for item in history):
        raise RuntimeFailure(
            'input_data.messages must be a list of {"role": "user"|"assistant"|"system", "content": str}.',
            INVALID_INPUT,
        )
    messages = [{"role": item["role"], "content": item["content"]} for item in history[-MAX_HISTORY_MESSAGES:]]
    message = user_message(input_data)
    if message is not None:
        messages.append({"role": "user", "content": message})
    if not messages or messages[-1]["role"] != "user":
        raise RuntimeFailure(
            'input_data needs a message: {"message": "..."} (or a "messages" list ending with a user message).',
            INVALID_INPUT,
        )
    return messages


def required_message(input_data: dict[str, Any]) -> str:
    """The new message; the last user message of ``messages`` if there is no other."""
    return conversation(input_data)[-1]["content"]


def _is_message(item: Any) -> bool:
    return isinstance(item, dict) and item.get("role") in HISTORY_ROLES and isinstance(item.get("content"), str)


def repeating(text: str, *, min_chars: int = 100, min_repeats: int = 4, max_period: int = 200) -> bool:
    """Whether ``text`` ends in one piece said ``min_repeats`` times over, covering at least ``min_chars``.

    "a cruel mistress, a cruel mistress, a cruel mistress, a cruel mistress, "
    and "server-server-server-..." are; a list or a table whose rows differ
    is not, since a repeat must be exact. Cheap enough to ask after every
    token: one comparison of at most ``min_repeats * max_period`` characters
    per candidate period.
    """
    for period in range(1, min(max_period, len(text) // min_repeats) + 1):
        span = max(min_chars, period * min_repeats)
        if span > len(text):
            break
        tail = text[-span:]
        if tail[period:] == tail[:-period]:
            return True
    return False


class ModelCalls:
    """The model calls of one run, each reported as a ``model_call`` step once it ended.

    ``stream(request, purpose)`` passes the provider's text and tool calls on
    and keeps how the call ended; with the agent's ``stop_loops`` on, a text
    that starts repeating itself ends the call there (the provider stops
    generating as its stream is closed). ``event()`` is the step of the call
    that ended last and ``summary()`` the totals for the run's result.
    ``calls`` is plain JSON, so a paused run can carry it over (``restore``).
    """

    def __init__(self, provider: Provider, config: dict[str, Any]) -> None:
        self.provider = provider
        self.model = provider.model_name(config["model"])
        self.stop_loops = config["stop_loops"]
        self.calls: list[dict[str, Any]] = []

    def restore(self, calls: Any) -> None:
        if isinstance(calls, list):
            self.calls = [call for call in calls if isinstance(call, dict)]

    async def stream(self, request: ChatRequest, purpose: str) -> AsyncIterator[TextDelta | ToolCall]:
        started = time.monotonic()
        text = ""
        finish = Finish(None)
        stream = self.provider.stream(request)
        try:
            async for item in stream:
                if isinstance(item, Finish):
                    finish = item
                    continue
                yield item
                if isinstance(item, TextDelta) and self.stop_loops:
                    text += item.text
                    if repeating(text):
                        finish = Finish(REPETITION)
                        break
        finally:
            await stream.aclose()
        self.calls.append(
            {
                "purpose": purpose,
                "provider": self.provider.name,
                "model": self.model,
                "finish_reason": finish.reason,
                "usage": {"prompt_tokens": finish.prompt_tokens, "completion_tokens": finish.completion_tokens},
                "duration_ms": round((time.monotonic() - started) * 1000),
            }
        )

    def event(self) -> Event:
        return events.step(MODEL_CALL_STEP, self.calls[-1])

    def summary(self) -> dict[str, Any]:
        """``finish_reason`` of the last call and the ``usage`` of all (a count no call told is None)."""
        if not self.calls:
            return {}
        usage: dict[str, Any] = {"calls": len(self.calls)}
        for name in ("prompt_tokens", "completion_tokens"):
            counts = [call["usage"][name] for call in self.calls]
            usage[name] = None if None in counts else sum(counts)
        return {"finish_reason": self.calls[-1]["finish_reason"], "usage": usage}


class TextCollector:
    """Streams one model call's text as ``token`` events, then its ``model_call`` step; keeps the text."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    async def stream(self, calls: ModelCalls, request: ChatRequest, purpose: str = "answer") -> AsyncIterator[Event]:
        async for item in calls.stream(request, purpose):
            if isinstance(item, TextDelta) and item.text:
                self.parts.append(item.text)
                yield events.token(item.text)
        yield calls.event()
