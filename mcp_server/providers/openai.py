"""``openai``: any OpenAI-compatible Chat Completions endpoint, streamed over SSE.

OpenAI itself, vLLM, Ollama, the llama.cpp server and LM Studio all speak
``POST {OPENAI_BASE_URL}/chat/completions`` with ``"stream": true``: one
``data: {chunk}`` line per delta and ``data: [DONE]`` at the end. Text
arrives in ``choices[0].delta.content``; tool calls arrive in pieces in
``choices[0].delta.tool_calls`` (keyed by ``index``, the JSON arguments split
across chunks) and are assembled here into complete ``ToolCall`` items.

``LLM_TIMEOUT`` bounds the silence between two reads, not the whole answer,
so a long answer that keeps streaming never times out but a stalled server
does. The API key is only ever sent in the Authorization header; error
messages quote the provider's own explanation with the key masked out.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from mcp_server.providers.base import (
    LLM_BAD_RESPONSE,
    LLM_REJECTED,
    LLM_TIMEOUT,
    LLM_UNAVAILABLE,
    ChatRequest,
    Finish,
    FinishTally,
    Provider,
    ProviderError,
    TextDelta,
    ToolCall,
)
from mcp_server.settings import Settings

# Enough of an error body to quote its explanation; the rest is not read.
ERROR_BODY_LIMIT = 4096
ERROR_DETAIL_LIMIT = 300


class OpenAIProvider(Provider):
    name = "openai"
    native_tool_calls = True

    def __init__(self, settings: Settings) -> None:
        self._url = f"{settings.openai_base_url}/chat/completions"
        # Only scheme, host and port: the URL may carry credentials in it.
        parts = urlsplit(settings.openai_base_url)
        self._where = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
        self._api_key = settings.openai_api_key
        self._default_model = settings.openai_model
        self._read_timeout = settings.llm_timeout
        self._timeout = httpx.Timeout(settings.llm_timeout, connect=settings.llm_connect_timeout)

    def model_name(self, requested: str | None) -> str:
        return requested or self._default_model

    async def stream(self, request: ChatRequest) -> AsyncIterator[TextDelta | ToolCall | Finish]:
        headers = {"Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            async with (
                httpx.AsyncClient(timeout=self._timeout) as client,
                client.stream("POST", self._url, json=self._body(request), headers=headers) as response,
            ):
                if response.status_code >= 400:
                    raise await self._http_error(response)
                async for item in self._read_stream(response):
                    yield item
        except httpx.TimeoutException as error:
            if isinstance(error, httpx.ConnectTimeout):
                raise ProviderError(
                    f"LLM provider unavailable: no connection to {self._where} "
                    f"within {self._timeout.connect:g} s.",
                    LLM_UNAVAILABLE,
                ) from None
            raise ProviderError(f"LLM provider timed out after {self._read_timeout:g} s.", LLM_TIMEOUT) from None
        except httpx.ConnectError:
            raise ProviderError(
                f"LLM provider unavailable: cannot connect to {self._where}.", LLM_UNAVAILABLE
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError):
            raise ProviderError(
                "LLM provider unavailable: the connection broke off in the middle of the answer.", LLM_UNAVAILABLE
            ) from None
        except httpx.HTTPError as error:
            raise ProviderError(
                f"LLM provider unavailable: {type(error).__name__} talking to {self._where}.", LLM_UNAVAILABLE
            ) from None

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model_name(request.model),
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stream": True,
            # The last chunk then tells the tokens read and written.
            "stream_options": {"include_usage": True},
        }
        # Only what was asked for: some compatible servers reject options they do not know.
        if request.stop:
            body["stop"] = list(request.stop)
        if request.frequency_penalty:
            body["frequency_penalty"] = request.frequency_penalty
        if request.presence_penalty:
            body["presence_penalty"] = request.presence_penalty
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
                }
                for tool in request.tools
            ]
            body["tool_choice"] = request.tool_choice
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": request.json_schema},
            }
        return body

    async def _read_stream(self, response: httpx.Response) -> AsyncIterator[TextDelta | ToolCall | Finish]:
        pending_calls: dict[int, dict[str, str]] = {}
        tally = FinishTally()
        finished = False
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue  # comments, event names, blank separators
            data = line[5:].strip()
            if data == "[DONE]":
                finished = True
                break
            chunk = self._parse_chunk(data)
            if "error" in chunk:
                raise ProviderError(
                    f"LLM provider failed mid-answer: {self._detail(chunk['error'])}", LLM_UNAVAILABLE
                )
            tally.note(chunk)
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                if delta.get("content"):
                    yield TextDelta(delta["content"])
                for piece in delta.get("tool_calls") or ():
                    _merge_tool_call_piece(pending_calls, piece)
                if choice.get("finish_reason"):
                    finished = True
        if not finished:
            # A body that just ends, without [DONE] or a finish reason, is a cut connection.
            raise ProviderError(
                "LLM provider unavailable: the connection broke off in the middle of the answer.", LLM_UNAVAILABLE
            )
        for index in sorted(pending_calls):
            yield _complete_tool_call(pending_calls[index], index)
        yield tally.finish()

    def _parse_chunk(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError:
            chunk = None
        if not isinstance(chunk, dict):
            raise ProviderError(
                "LLM provider sent something that is not an OpenAI-style stream chunk.", LLM_BAD_RESPONSE
            )
        return chunk

    async def _http_error(self, response: httpx.Response) -> ProviderError:
        body = b""
        async for piece in response.aiter_bytes():
            body += piece
            if len(body) >= ERROR_BODY_LIMIT:
                break
        try:
            detail = self._detail(json.loads(body).get("error"))
        except (ValueError, AttributeError):
            detail = ""
        status = response.status_code
        suffix = f": {detail}" if detail else "."
        if status == 429 or status >= 500:
            return ProviderError(f"LLM provider unavailable ({status}){suffix}", LLM_UNAVAILABLE)
        return ProviderError(f"LLM provider rejected the request ({status}){suffix}", LLM_REJECTED)

    def _detail(self, error: Any) -> str:
        """The provider's own explanation, short and with the API key masked."""
        message = error.get("message") if isinstance(error, dict) else error
        if not isinstance(message, str):
            return ""
        if self._api_key:
            message = message.replace(self._api_key, "***")
        message = " ".join(message.split())
        if len(message) > ERROR_DETAIL_LIMIT:
            message = message[: ERROR_DETAIL_LIMIT - 1] + "…"
        return message


def _merge_tool_call_piece(pending: dict[int, dict[str, str]], piece: dict[str, Any]) -> None:
    call = pending.setdefault(piece.get("index", 0), {"id": "", "name": "", "arguments": ""})
    if piece.get("id"):
        call["id"] = piece["id"]
    function = piece.get("function") or {}
    if function.get("name"):
        call["name"] += function["name"]
    if function.get("arguments"):
        call["arguments"] += function["arguments"]


def _complete_tool_call(call: dict[str, str], index: int) -> ToolCall:
    raw = call["arguments"] or "{}"
    try:
        arguments = json.loads(raw)
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict):
        arguments = None
    return ToolCall(id=call["id"] or f"call_{index}", name=call["name"], arguments=arguments, raw_arguments=raw)
