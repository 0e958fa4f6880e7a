"""``chat``: a system prompt, the conversation so far and a new message; the reply streams.

Events: ``progress`` (stage ``generating``, 0 percent), one ``token`` per
text delta, the ``model_call`` step, then ``progress`` ``done`` (100
percent). Result: ``{"text": the reply, "provider", "model",
"finish_reason", "usage"}`` (see ``runtimes.llm``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from mcp_server import events
from mcp_server.events import Event, Result
from mcp_server.protocol import RunRequest
from mcp_server.runtimes.base import Runtime
from mcp_server.runtimes.llm import (
    ModelCalls,
    TextCollector,
    chat_request,
    conversation,
    llm_input_schema,
    llm_options,
    provider_for,
    with_memory,
)

# "A few sentences": a small model told only "concisely" runs into max_tokens on half of the open
# questions of `make eval`; told this, on few.
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant. Answer clearly and concisely, in a few sentences."


class ChatRuntime(Runtime):
    name = "chat"
    description = "Chat with an LLM: a system prompt and the conversation in, a streamed reply out."
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": llm_options(system_prompt=DEFAULT_SYSTEM_PROMPT, temperature=0.7, max_tokens=512),
    }
    input_schema = llm_input_schema("The new message to reply to.")
    input_example = {"message": "Hello! What can you do?"}

    async def run(self, request: RunRequest) -> AsyncIterator[Event | Result]:
        config = with_memory(request.agent.config, request.input_data)
        messages = [{"role": "system", "content": config["system_prompt"]}, *conversation(request.input_data)]
        provider = provider_for(request)
        calls = ModelCalls(provider, config)
        yield events.progress("generating", f"Waiting for {calls.model} ({provider.name})", percent=0)
        reply = TextCollector()
        async for event in reply.stream(calls, chat_request(config, messages)):
            yield event
        yield events.done()
        yield Result({"text": reply.text, "provider": provider.name, "model": calls.model, **calls.summary()})
