"""The openai provider against a stand-in OpenAI-compatible server: streaming, tool calls, failures."""

import socket

import pytest

from mcp_server.providers import ChatRequest, Finish, ProviderError, TextDelta, ToolCall, ToolSpec
from mcp_server.providers.base import FinishTally
from mcp_server.providers.openai import OpenAIProvider
from mcp_server.settings import Settings
from mcp_server.tests.conftest import LLM_TIMEOUT, OPENAI_KEY
from testsupport import LOOPBACK
from testsupport.openai_stub import dropped, http_error, stalled, text, tool_calls, truncated

HELLO = ChatRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=16, temperature=0.0)


def provider_for(base_url: str, **overrides) -> OpenAIProvider:
    settings = Settings(openai_base_url=base_url, openai_api_key=OPENAI_KEY, openai_model="stub-model",
                        llm_timeout=LLM_TIMEOUT, llm_connect_timeout=1.0, **overrides)
    return OpenAIProvider(settings)


async def collect(provider, request=HELLO) -> list:
    return [item async for item in provider.stream(request)]


async def test_it_streams_text_deltas_and_sends_model_key_and_options(stub):
    stub.script(text("Hel", "lo", "!"))

    items = await collect(provider_for(stub.base_url))

    # The stub's usage: the prompt's words, a token a delta.
    assert items == [TextDelta("Hel"), TextDelta("lo"), TextDelta("!"), Finish("stop", 1, 3)]
    sent = stub.requests[0]
    assert sent["headers"]["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent["body"] == {"model": "stub-model", "messages": [{"role": "user", "content": "hi"}],
                            "temperature": 0.0, "max_tokens": 16, "stream": True,
                            "stream_options": {"include_usage": True}}


async def test_a_completion_cut_at_max_tokens_ends_with_length_and_no_count_is_made_up(stub):
    stub.script(truncated("Hel", "lo"))
    items = await collect(provider_for(stub.base_url), ChatRequest(messages=[{"role": "user", "content": "hi"}]))

    assert items[-1] == Finish("length", 1, 2)
    # A server that ignores stream_options tells no usage: the counts are None, not made up.
    tally = FinishTally()
    tally.note({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
    assert tally.finish() == Finish("length", None, None)


async def test_it_uses_the_model_the_request_names(stub):
    await collect(provider_for(stub.base_url), ChatRequest(messages=[], model="llama3"))

    assert stub.requests[0]["body"]["model"] == "llama3"


async def test_it_offers_tools_and_assembles_tool_calls_streamed_in_pieces(stub):
    stub.script(tool_calls(("calculator", {"expression": "6 * 7"}), ("current_time", "{not json")))
    tool = ToolSpec("calculator", "Arithmetic.", {"type": "object", "properties": {}})

    items = await collect(provider_for(stub.base_url), ChatRequest(messages=[], tools=(tool,)))

    assert items == [
        ToolCall(id="call_0", name="calculator", arguments={"expression": "6 * 7"}),
        ToolCall(id="call_1", name="current_time", arguments=None),
        Finish("tool_calls", 0, 2),
    ]
    body = stub.requests[0]["body"]
    assert body["tools"] == [{"type": "function", "function": {
        "name": "calculator", "description": "Arithmetic.", "parameters": {"type": "object", "properties": {}}}}]
    assert body["tool_choice"] == "auto"


async def test_it_asks_for_json_schema_output(stub):
    schema = {"type": "object"}
    await collect(provider_for(stub.base_url), ChatRequest(messages=[], json_schema=schema))

    assert stub.requests[0]["body"]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}


@pytest.mark.parametrize(
    ("reply", "message", "code"),
    [
        (http_error(503, "overloaded"), "LLM provider unavailable (503): overloaded", "llm_unavailable"),
        (http_error(429), "LLM provider unavailable (429).", "llm_unavailable"),
        (http_error(404, "The model `gpt-9` does not exist"),
         "LLM provider rejected the request (404): The model `gpt-9` does not exist", "llm_rejected"),
        (dropped("Half an ans"), "LLM provider unavailable: the connection broke off in the middle of the answer.",
         "llm_unavailable"),
        (stalled(LLM_TIMEOUT + 2, "late"), f"LLM provider timed out after {LLM_TIMEOUT:g} s.", "llm_timeout"),
    ],
)
async def test_it_turns_provider_failures_into_clear_errors(stub, reply, message, code):
    stub.script(reply)

    with pytest.raises(ProviderError) as failure:
        await collect(provider_for(stub.base_url))

    assert (failure.value.message, failure.value.code) == (message, code)


async def test_it_never_repeats_the_api_key_in_an_error(stub):
    stub.script(http_error(401, f"Incorrect API key provided: {OPENAI_KEY}."))

    with pytest.raises(ProviderError) as failure:
        await collect(provider_for(stub.base_url))

    assert OPENAI_KEY not in failure.value.message
    assert failure.value.message == "LLM provider rejected the request (401): Incorrect API key provided: ***."


async def test_it_reports_an_unreachable_provider_without_its_credentials():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]

    with pytest.raises(ProviderError) as failure:
        await collect(provider_for(f"http://user:hunter2@{LOOPBACK}:{port}/v1"))

    assert failure.value.code == "llm_unavailable"
    assert failure.value.message == f"LLM provider unavailable: cannot connect to http://{LOOPBACK}:{port}."
