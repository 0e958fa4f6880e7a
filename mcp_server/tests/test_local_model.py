"""The bundled local model (SmolLM2-135M via llama.cpp) answering through /execute.

The server process loads the model on the first request; these tests keep
``max_tokens`` small so the whole file takes a few seconds on 2 cores.
"""

import time

import httpx

from httpx_sse import connect_sse

from mcp_server.tests.helpers import SSE, event_types, execute_body, health, stream_events
from testsupport import LOOPBACK, listening_ports, wait_until


def test_the_default_provider_is_the_local_model_and_it_streams_a_reply(client):
    body = execute_body({"max_tokens": 16, "temperature": 0}, runtime="chat",
                        input_data={"message": "What is the capital of France?"})

    events = stream_events(client, body, SSE)

    assert events[0] == ("progress", {"stage": "generating", "message": "Waiting for SmolLM2-135M-Instruct (local)",
                                      "percent": 0})
    assert set(event_types(events)[1:-3]) == {"token"}
    kind, step = events[-3]
    assert (kind, step["name"]) == ("step", "model_call")
    call = step["content"]
    assert (call["provider"], call["model"], call["purpose"]) == ("local", "SmolLM2-135M-Instruct", "answer")
    # What llama.cpp counted: the prompt read and the 16 tokens at most it wrote.
    assert call["usage"]["prompt_tokens"] > 5
    assert 0 < call["usage"]["completion_tokens"] <= 16
    assert call["finish_reason"] in ("stop", "length")
    assert events[-2] == ("progress", {"stage": "done", "message": "Done", "percent": 100})
    output = events[-1][1]["output"]
    assert events[-1][0] == "result"
    assert output["text"].strip()
    assert output["text"] == "".join(data["content"] for kind, data in events if kind == "token")
    assert (output["provider"], output["model"]) == ("local", "SmolLM2-135M-Instruct")
    assert output["finish_reason"] == call["finish_reason"]
    assert output["usage"] == {"calls": 1, **call["usage"]}


def test_the_seeded_calculator_calls_the_calculator_and_states_its_result(client):
    # The seeded Calculator's config and suggested input: the decision is greedy, so this is the run a new
    # user gets; the answer is held to the calculator's result.
    body = execute_body({"tools": ["calculator", "current_time"], "max_tokens": 200}, runtime="tools",
                        input_data={"message": "What is 17 * 23 + 4?"})

    events = stream_events(client, body, SSE)

    assert events[-1][0] == "result", events[-1]
    output = events[-1][1]["output"]
    assert [(call["tool"], call["result"]["result"]) for call in output["tool_calls"]] == [("calculator", 395)]
    assert "395" in output["text"]
    assert output["text"] == "".join(data["content"] for kind, data in events if kind == "token")
    purposes = [data["content"]["purpose"] for kind, data in events if kind == "step"]
    assert purposes[0] == "decision" and purposes[-1] == "answer"


def test_the_seeded_assistant_remembers_what_it_is_told(client):
    # The seeded Assistant's config and suggested input (agents/management/commands/seed_demo.py).
    body = execute_body({"tools": ["remember", "recall", "current_time"], "max_tokens": 200}, runtime="tools",
                        input_data={"message": "My favourite colour is teal."})

    events = stream_events(client, body, SSE)

    assert events[-1][0] == "result", events[-1]
    memory = [data for kind, data in events if kind == "memory"]
    assert [(item["key"], item["value"]) for item in memory] == [("favourite_colour", "teal")]
    assert "teal" in events[-1][1]["output"]["text"].lower()


def test_closing_the_stream_stops_a_long_local_generation(client):
    long_story = execute_body({"max_tokens": 4000, "temperature": 1.0}, runtime="chat",
                              input_data={"message": "Write a very long story about the sea."})

    # As many abandoned generations as the server has slots (2): if they kept
    # running, the next request would wait minutes for a free slot.
    for _ in range(2):
        with connect_sse(client, "POST", "/execute", json=long_story) as source:
            next(event for event in source.iter_sse() if event.event == "token")
    wait_until(lambda: health(client)["active_runs"] == 0, timeout=5, description="the runs ended")

    started = time.monotonic()
    quick = execute_body({"max_tokens": 2}, runtime="chat", input_data={"message": "Hi"})
    assert stream_events(client, quick, SSE)[-1][0] == "result"
    assert time.monotonic() - started < 10


def test_the_model_listens_nowhere_a_caller_could_use(mcp_server, client):
    """llama.cpp's own HTTP server, opened beside the model, is bound to loopback,
    locked by a key nobody knows and has CORS off."""
    stream_events(client, execute_body({"max_tokens": 2}, runtime="chat", input_data={"message": "Hi"}), SSE)

    others = {(address, port) for address, port in listening_ports(mcp_server.pid) if port != mcp_server.port}
    assert others, "the model's side server was expected to be running"
    for address, port in others:
        assert address == LOOPBACK
        for method, path in [("GET", "/v1/models"), ("POST", "/v1/chat/completions"), ("GET", "/slots")]:
            response = httpx.request(
                method, f"http://{LOOPBACK}:{port}{path}", headers={"Origin": "http://evil.example"},
                json={"messages": [{"role": "user", "content": "hi"}]}, timeout=5, trust_env=False,
            )
            assert response.status_code in (401, 404, 501), (path, response.status_code, response.text[:200])
            assert response.headers.get("access-control-allow-origin", "") == ""  # no origin may read it
