"""The chat runtime: the conversation goes to the model, the reply streams back as tokens."""

from mcp_server.tests.conftest import LLM_TIMEOUT
from mcp_server.tests.helpers import SSE, execute_body, run_in_process, stream_events
from testsupport.openai_stub import http_error, stalled, text


async def test_it_streams_the_reply_as_tokens_and_returns_the_text(stub, services):
    stub.script(text("Paris", " is the capital."))

    events = await run_in_process("chat", {}, {"message": "Capital of France?"}, services)

    assert events == [
        ("progress", {"stage": "generating", "message": "Waiting for stub-model (openai)", "percent": 0}),
        ("token", {"content": "Paris"}),
        ("token", {"content": " is the capital."}),
        ("progress", {"stage": "done", "message": "Done", "percent": 100}),
        ("result", {"output": {"text": "Paris is the capital.", "provider": "openai", "model": "stub-model"}}),
    ]


async def test_it_sends_the_system_prompt_the_prior_messages_and_the_new_one(stub, services):
    config = {"system_prompt": "Be terse.", "temperature": 0.1, "max_tokens": 64, "model": "big-model"}
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]

    await run_in_process("chat", config, {"message": "And now?", "messages": history}, services)

    body = stub.requests[0]["body"]
    assert body["messages"] == [{"role": "system", "content": "Be terse."}, *history,
                                {"role": "user", "content": "And now?"}]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("big-model", 0.1, 64)


async def test_it_fails_clearly_without_a_message(stub, services):
    events = await run_in_process("chat", {}, {"messages": [{"role": "user", "content": 3}]}, services)

    assert events[-1][0] == "error"
    assert events[-1][1]["code"] == "invalid_input"
    assert stub.requests == []


async def test_it_ends_with_the_providers_error(stub, services):
    stub.script(http_error(503))

    events = await run_in_process("chat", {}, {"message": "Hi"}, services)

    assert events[-1] == ("error", {"message": "LLM provider unavailable (503).", "code": "llm_unavailable"})


def test_it_runs_through_execute_with_the_openai_provider(client, stub):
    stub.script(text("Hi", " there"))
    body = execute_body({"provider": "openai"}, runtime="chat", input_data={"message": "Hello"})

    events = stream_events(client, body, SSE)

    assert [event for event in events if event[0] == "token"] == [("token", {"content": "Hi"}),
                                                                 ("token", {"content": " there"})]
    assert events[-1] == ("result", {"output": {"text": "Hi there", "provider": "openai", "model": "gpt-4o-mini"}})


def test_it_streams_a_provider_timeout_as_an_error_event(client, stub):
    stub.script(stalled(LLM_TIMEOUT + 2))
    body = execute_body({"provider": "openai"}, runtime="chat", input_data={"message": "Hello"})

    events = stream_events(client, body, SSE)

    assert events[-1] == ("error", {"message": f"LLM provider timed out after {LLM_TIMEOUT:g} s.",
                                    "code": "llm_timeout"})
