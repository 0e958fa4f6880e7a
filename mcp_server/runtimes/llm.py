"""What the LLM runtimes (chat, rag, tools) share: config options, input, provider calls.

Config options every LLM runtime has (see ``llm_options``):

``provider``       ``"local"`` | ``"openai"`` | null (the server's ``LLM_PROVIDER``)
``model``          model name for the provider, null for its default
``system_prompt``  the instructions the model gets first
``temperature``    0..2
``max_tokens``     1..8192, per model call

Input: ``input_data["message"]`` (or ``question``, ``prompt``, ``query``,
``input``, ``text``: the first present string), and optionally
``input_data["messages"]``, the conversation so far as
``[{"role": "user"|"assistant"|"system", "content": str}, ...]``
(``llm_input_schema`` says the same as a JSON schema).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from contract.memory import item_text
from contract.runtimes import MESSAGE_KEYS, user_message
from mcp_server import events
from mcp_server.events import Event, RuntimeFailure
from mcp_server.protocol import RunRequest
from mcp_server.providers import PROVIDER_NAMES, ChatRequest, Provider, TextDelta

INVALID_INPUT = "invalid_input"
NO_SERVICES = "no_services"
MAX_MEMORY_ITEMS = 50
HISTORY_ROLES = ("user", "assistant", "system")
# Older turns beyond these are dropped: a small local context fills up fast.
MAX_HISTORY_MESSAGES = 40


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
    defaults = {"model": config["model"], "temperature": config["temperature"], "max_tokens": config["max_tokens"]}
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


class TextCollector:
    """Streams a provider's text as ``token`` events and keeps the whole text."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    async def stream(self, provider: Provider, request: ChatRequest) -> AsyncIterator[Event]:
        async for item in provider.stream(request):
            if isinstance(item, TextDelta) and item.text:
                self.parts.append(item.text)
                yield events.token(item.text)
