"""The chat runtime: the conversation goes to the model, the reply streams back as tokens."""

from mcp_server.tests.conftest import LLM_TIMEOUT
from mcp_server.tests.helpers import SSE, execute_body, model_call, run_in_process, stream_events
from testsupport.openai_stub import http_error, stalled, text, truncated


async def test_it_streams_the_reply_as_tokens_and_returns_the_text(stub, services):
    stub.script(text("Paris", " is the capital."))

    events = await run_in_process("chat", {}, {"message": "Capital of France?"}, services)

    assert events == [
        ("progress", {"stage": "generating", "message": "Waiting for stub-model (openai)", "percent": 0}),
        ("token", {"content": "Paris"}),
        ("token", {"content": " is the capital."}),
        # The stub counts words of the prompt (the default system prompt and the message) and one token a delta.
        model_call("answer", "stop", 16, 2),
        ("progress", {"stage": "done", "message": "Done", "percent": 100}),
        ("result", {"output": {"text": "Paris is the capital.", "provider": "openai", "model": "stub-model",
                               "finish_reason": "stop",
                               "usage": {"calls": 1, "prompt_tokens": 16, "completion_tokens": 2}}}),
    ]


async def test_an_answer_cut_at_max_tokens_says_so(stub, services):
    stub.script(truncated("Once", " upon", " a"))

    events = await run_in_process("chat", {"max_tokens": 3}, {"message": "Tell me a story."}, services)

    assert events[-2] == ("progress", {"stage": "done", "message": "Done", "percent": 100})
    assert events[-3] == model_call("answer", "length", completion_tokens=3)
    output = events[-1][1]["output"]
    assert (output["text"], output["finish_reason"], output["usage"]["completion_tokens"]) == ("Once upon a", "length", 3)


async def test_a_reply_that_starts_repeating_itself_is_ended(stub, services):
    stub.script(text("Aye, aye,", *[" a cruel mistress,"] * 40, " the end."))

    events = await run_in_process("chat", {}, {"message": "Talk like a pirate."}, services)

    tokens = [event for event in events if event[0] == "token"]
    assert 4 < len(tokens) < 12
    assert events[-3] == model_call("answer", "repetition", None, None)
    assert events[-1][1]["output"]["finish_reason"] == "repetition"


async def test_with_stop_loops_off_a_repeating_reply_runs_on(stub, services):
    stub.script(text(*[" a cruel mistress,"] * 40))

    events = await run_in_process("chat", {"stop_loops": False}, {"message": "Talk like a pirate."}, services)

    assert len([event for event in events if event[0] == "token"]) == 40
    assert events[-1][1]["output"]["finish_reason"] == "stop"


async def test_it_sends_the_system_prompt_the_prior_messages_and_the_new_one(stub, services):
    config = {"system_prompt": "Be terse.", "temperature": 0.1, "max_tokens": 64, "model": "big-model"}
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]

    await run_in_process("chat", config, {"message": "And now?", "messages": history}, services)

    body = stub.requests[0]["body"]
    assert body["messages"] == [{"role": "system", "content": "Be terse."}, *history,
                                {"role": "user", "content": "And now?"}]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("big-model", 0.1, 64)
    assert body["stream_options"] == {"include_usage": True}
    assert "stop" not in body and "frequency_penalty" not in body  # only what the agent set


async def test_it_sends_the_agents_stop_sequences_and_penalties(stub, services):
    config = {"stop": ["\nUser:"], "frequency_penalty": 0.5, "presence_penalty": 0.25, "repeat_penalty": 1.3}

    await run_in_process("chat", config, {"message": "Hi"}, services)

    body = stub.requests[0]["body"]
    assert (body["stop"], body["frequency_penalty"], body["presence_penalty"]) == (["\nUser:"], 0.5, 0.25)
    assert "repeat_penalty" not in body  # llama.cpp's own; OpenAI has none


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
    assert events[-1] == ("result", {"output": {"text": "Hi there", "provider": "openai", "model": "gpt-4o-mini",
                                                "finish_reason": "stop",
                                                "usage": {"calls": 1, "prompt_tokens": 14, "completion_tokens": 2}}})


def test_it_streams_a_provider_timeout_as_an_error_event(client, stub):
    stub.script(stalled(LLM_TIMEOUT + 2))
    body = execute_body({"provider": "openai"}, runtime="chat", input_data={"message": "Hello"})

    events = stream_events(client, body, SSE)

    assert events[-1] == ("error", {"message": f"LLM provider timed out after {LLM_TIMEOUT:g} s.",
                                    "code": "llm_timeout"})


def test_the_loop_detector_takes_a_repeat_for_a_loop_only_when_exact_and_long():
    from mcp_server.runtimes.llm import repeating

    assert repeating("She's a cruel mistress, a cruel mistress. " * 4)
    assert repeating("The server is a server-" + "server-" * 20)
    assert not repeating("aye, " * 10)  # 50 characters: too short to call
    numbered = "".join(f"{n}. Step number {n} of the plan\n" for n in range(1, 20))
    table = "| name | size |\n|---|---|\n" + "".join(f"| file{n}.txt | {n * 7} KB |\n" for n in range(20))
    assert not repeating(numbered)
    assert not repeating(table)
