"""POST /execute in SSE mode: the exact event stream of a synthetic run."""

import time

from mcp_server.tests.conftest import PING_INTERVAL
from mcp_server.tests.helpers import SSE, execute_body, stream_events

# The contract, spelled out byte for byte, for steps=2, tokens=3.
EXPECTED_STREAM = (
    b'event: progress\ndata: {"stage":"step","message":"Step 1 of 2","percent":50}\n\n'
    b'event: step\ndata: {"name":"step-1","content":"Completed synthetic step 1 of 2."}\n\n'
    b'event: progress\ndata: {"stage":"step","message":"Step 2 of 2","percent":100}\n\n'
    b'event: step\ndata: {"name":"step-2","content":"Completed synthetic step 2 of 2."}\n\n'
    b'event: token\ndata: {"content":"tok1 "}\n\n'
    b'event: token\ndata: {"content":"tok2 "}\n\n'
    b'event: token\ndata: {"content":"tok3 "}\n\n'
    b'event: result\ndata: {"output":{"text":"tok1 tok2 tok3 ","steps":2,"tokens":3,'
    b'"input":{"prompt":"hello"}}}\n\n'
)


def test_it_streams_the_synthetic_script_exactly_and_ends_with_the_result(client):
    response = client.post("/execute", json=execute_body({"steps": 2, "tokens": 3}), headers=SSE)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.content == EXPECTED_STREAM


def test_it_streams_the_same_bytes_for_the_same_config(client):
    body = execute_body({"steps": 4, "tokens": 50})

    first = client.post("/execute", json=body, headers=SSE).content
    second = client.post("/execute", json=body, headers=SSE).content

    assert first == second


def test_it_uses_the_default_config_when_none_is_given(client):
    events = stream_events(client, execute_body({}))

    types = [event_type for event_type, _ in events]
    assert types == ["progress", "step"] * 3 + ["token"] * 20 + ["result"]
    output = events[-1][1]["output"]
    assert output["text"] == "".join(f"tok{i} " for i in range(1, 21))
    assert (output["steps"], output["tokens"]) == (3, 20)


def test_it_replaces_the_failing_event_with_an_error_and_stops(client):
    events = stream_events(client, execute_body({"steps": 1, "tokens": 5, "fail_at": 4}))

    assert events == [
        ("progress", {"stage": "step", "message": "Step 1 of 1", "percent": 100}),
        ("step", {"name": "step-1", "content": "Completed synthetic step 1 of 1."}),
        ("token", {"content": "tok1 "}),
        ("error", {"message": "Synthetic failure at event 4", "code": "synthetic_failure"}),
    ]


def test_it_ignores_a_failure_point_beyond_the_last_event(client):
    events = stream_events(client, execute_body({"steps": 1, "tokens": 1, "fail_at": 4}))

    assert events[-1][0] == "result"


def test_it_spaces_tokens_by_the_configured_delay(client):
    started = time.monotonic()
    events = stream_events(client, execute_body({"steps": 0, "tokens": 4, "delay_ms": 100}))

    assert [event_type for event_type, _ in events] == ["token"] * 4 + ["result"]
    assert time.monotonic() - started >= 0.3  # three gaps between four tokens


def test_it_sends_ping_comments_while_a_run_is_silent(client):
    delay_ms = int(PING_INTERVAL * 1000 * 3)
    body = execute_body({"steps": 0, "tokens": 2, "delay_ms": delay_ms})

    stream = client.post("/execute", json=body, headers=SSE).content

    before, _, after = stream.partition(b'event: token\ndata: {"content":"tok2 "}\n\n')
    assert before.startswith(b'event: token\ndata: {"content":"tok1 "}\n\n')
    assert before.count(b": ping\n\n") >= 2
    assert after.startswith(b"event: result\n")
