"""The contract every LLM provider implements.

A provider turns one chat request into a stream: text deltas as the model
writes them and, for providers that have native tool calling, complete tool
calls. Runtimes never talk to a model any other way, so a new back end (a
hosted API, an in-process model) is one ``Provider`` subclass.

The contract of ``Provider.stream(request)``:

* it is an async generator yielding ``TextDelta`` (new text only, never
  cumulative) and, only when ``request.tools`` is non-empty and the provider
  has ``native_tool_calls``, ``ToolCall`` items, each complete, after the
  text of that turn; a completion that ends (rather than fails) ends with
  one ``Finish``: why the model stopped (``length``: at ``max_tokens``) and
  the tokens it read and wrote, as far as the back end tells;
* ``request.json_schema`` constrains the text to JSON matching that schema
  (constrained decoding where the back end has it);
* every failure (unreachable, HTTP error, timeout, broken stream, a model that
  cannot run) raises ``ProviderError`` with a message people can act on and a
  stable code; secrets never appear in it;
* it must not block the event loop, and closing or cancelling the generator
  stops generation promptly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mcp_server.events import RuntimeFailure

# Codes of the error event when the LLM fails; stable for clients.
LLM_UNAVAILABLE = "llm_unavailable"  # cannot connect, 5xx, 429, connection dropped
LLM_TIMEOUT = "llm_timeout"  # silent for longer than the timeout
LLM_REJECTED = "llm_rejected"  # 4xx: bad model name, bad key, prompt too long
LLM_BAD_RESPONSE = "llm_bad_response"  # something that is not the protocol


class ProviderError(RuntimeFailure):
    """The LLM could not answer; becomes the run's ``error`` event as is."""


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: its name, what it does, its JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ChatRequest:
    """One completion: OpenAI-style ``messages`` and the sampling options."""

    messages: list[dict[str, Any]]
    model: str | None = None  # None: the provider's default model
    temperature: float = 0.7
    max_tokens: int = 512
    tools: tuple[ToolSpec, ...] = ()
    # With tools: "auto" lets the model choose, "none" makes it answer in text.
    tool_choice: str = "auto"
    json_schema: dict[str, Any] | None = None
    # A llama.cpp (GBNF) grammar the text must match; back ends without grammars ignore it.
    grammar: str | None = None
    stop: tuple[str, ...] = ()
    # Repetition control: llama.cpp's penalty (1: none), and OpenAI's two (0: none).
    repeat_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    """A complete native tool call. ``arguments`` is None when the model's JSON was unusable."""

    id: str
    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str = field(default="", repr=False, compare=False)


# Why a completion ended, as OpenAI-style back ends say it; others pass through as they come.
STOP = "stop"  # the model ended its answer, or a stop sequence came
LENGTH = "length"  # cut at max_tokens
TOOL_CALLS = "tool_calls"


@dataclass(frozen=True)
class Finish:
    """The end of one completion: why it stopped, and the tokens read and written (None: not told)."""

    reason: str | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class FinishTally:
    """What the chunks of one OpenAI-style stream say about its end (``finish_reason``, ``usage``)."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None

    def note(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or ():
            if isinstance(choice, dict) and isinstance(choice.get("finish_reason"), str):
                self.reason = choice["finish_reason"]
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = _count(usage.get("prompt_tokens"), self.prompt_tokens)
            self.completion_tokens = _count(usage.get("completion_tokens"), self.completion_tokens)

    def finish(self) -> Finish:
        return Finish(self.reason, self.prompt_tokens, self.completion_tokens)


def _count(value: Any, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


class Provider(ABC):
    """Base class of LLM providers; see the module docstring for the contract.

    ``name`` is what an agent config's ``provider`` option selects.
    ``native_tool_calls`` says whether ``stream`` honours ``request.tools``;
    runtimes fall back to JSON-schema-constrained output when it is false.
    One instance serves every run of the process, concurrently.
    """

    name: ClassVar[str]
    native_tool_calls: ClassVar[bool] = False

    @abstractmethod
    def model_name(self, requested: str | None) -> str:
        """The model a request for ``requested`` (None: the default) will use."""

    @abstractmethod
    def stream(self, request: ChatRequest) -> AsyncIterator[TextDelta | ToolCall | Finish]:
        """Run one completion; see the module docstring for the contract."""

    async def aclose(self) -> None:
        """Release what the provider holds (connections); the default holds nothing."""
