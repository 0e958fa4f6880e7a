"""POST /execute with requests that cannot run: always a 400 JSON error, never a run."""

import pytest

from mcp_server.tests.helpers import SSE, execute_body, health


def post_raw(client, content: bytes, headers=None):
    return client.post("/execute", content=content, headers={"Content-Type": "application/json", **(headers or {})})


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b'{"execution_id": NaN}', "NaN is not a JSON value"),
        (b"[1, 2]", "must be a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32 levels"),
    ],
)
def test_it_rejects_a_body_that_is_not_a_json_object(client, content, detail):
    response = post_raw(client, content)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert detail in error["message"]


def test_it_lists_every_missing_or_ill_typed_field(client):
    body = {"execution_id": 42, "agent": {"id": "", "runtime": ["synthetic"], "config": "steps=3"}, "input_data": 7}

    response = client.post("/execute", json=body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": (
            "Invalid request. execution_id: Must be a string. input_data: Must be a JSON object. "
            "agent.id: Must not be empty. agent.name: This field is required. "
            "agent.runtime: Must be a string. agent.config: Must be a JSON object."
        ),
        "code": "invalid_request",
        "fields": {
            "execution_id": "Must be a string.",
            "input_data": "Must be a JSON object.",
            "agent.id": "Must not be empty.",
            "agent.name": "This field is required.",
            "agent.runtime": "Must be a string.",
            "agent.config": "Must be a JSON object.",
        },
    }


def test_it_requires_an_execution_id_and_an_agent(client):
    response = client.post("/execute", json={"input_data": {}})

    assert response.json()["error"]["fields"] == {
        "execution_id": "This field is required.",
        "agent": "This field is required.",
    }


def test_it_rejects_an_unknown_runtime_and_names_the_available_ones(client):
    response = client.post("/execute", json=execute_body(runtime="gpt-99"))

    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Unknown runtime 'gpt-99'. Available runtimes: chat, rag, synthetic, tools.",
        "code": "unknown_runtime",
        "fields": {"agent.runtime": "Unknown runtime 'gpt-99'. Available runtimes: chat, rag, synthetic, tools."},
    }


def test_it_rejects_a_config_with_a_message_for_each_bad_option(client):
    config = {"steps": "3", "tokens": 100_001, "delay_ms": -1, "fail_at": 0, "temperature": 0.5}

    response = client.post("/execute", json=execute_body(config))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_config"
    assert error["fields"] == {
        "agent.config.delay_ms": "Must be at least 0.",
        "agent.config.fail_at": "Must be at least 1.",
        "agent.config.steps": "Must be an integer.",
        "agent.config.temperature": "Unknown option.",
        "agent.config.tokens": "Must be at most 100000.",
    }
    assert error["message"].startswith("Invalid config for runtime 'synthetic'. delay_ms: Must be at least 0.")


@pytest.mark.parametrize("not_an_integer", [3.0, True, None, [3]])
def test_it_accepts_only_true_integers_as_counts(client, not_an_integer):
    response = client.post("/execute", json=execute_body({"steps": not_an_integer}))

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"agent.config.steps": "Must be an integer."}


def test_it_rejects_bad_requests_with_json_even_when_a_stream_was_asked_for(client):
    response = client.post("/execute", json=execute_body({"steps": -1}), headers=SSE)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "invalid_config"


def test_it_starts_no_run_for_a_rejected_request(mcp_server, client):
    client.post("/execute", json=execute_body({"steps": -1}, execution_id="rejected-run"))

    assert health(client)["active_runs"] == 0
    assert "rejected-run" not in mcp_server.log_text()


def test_a_body_nested_past_the_limit_is_a_400(client):
    body = execute_body({"steps": 1})
    deep = "deep"
    for _ in range(40):
        deep = [deep]
    body["input_data"] = {"a": deep}

    response = client.post("/execute", json=body)

    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["error"]["message"]


def test_a_body_over_the_limit_is_a_413_while_it_is_read(client):
    def chunks():
        yield b'{"execution_id": "e", "input_data": {"t": "'
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MiB in all, sent chunked

    response = client.post("/execute", content=chunks(), headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
