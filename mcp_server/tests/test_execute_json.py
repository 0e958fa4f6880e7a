"""POST /execute in JSON mode: one summary of the whole run."""

from mcp_server.tests.helpers import JSON, execute_body


def test_it_answers_with_a_completed_summary_of_the_run(client):
    body = execute_body({"steps": 1, "tokens": 2}, input_data={"question": "why?"})

    response = client.post("/execute", json=body, headers=JSON)

    assert response.status_code == 200
    assert response.json() == {
        "status": "completed",
        "output": {"text": "tok1 tok2 ", "steps": 1, "tokens": 2, "input": {"question": "why?"}},
        "events": [
            {"type": "progress", "data": {"stage": "step", "message": "Step 1 of 1", "percent": 100}},
            {"type": "step", "data": {"name": "step-1", "content": "Completed synthetic step 1 of 1."}},
            {"type": "token", "data": {"content": "tok1 "}},
            {"type": "token", "data": {"content": "tok2 "}},
        ],
        "error": None,
    }


def test_it_answers_with_a_failed_summary_when_the_run_fails(client):
    response = client.post("/execute", json=execute_body({"steps": 2, "fail_at": 2}), headers=JSON)

    assert response.status_code == 200
    assert response.json() == {
        "status": "failed",
        "output": None,
        "events": [{"type": "progress", "data": {"stage": "step", "message": "Step 1 of 2", "percent": 50}}],
        "error": {"message": "Synthetic failure at event 2", "code": "synthetic_failure"},
    }


def test_it_answers_with_json_when_the_client_does_not_ask_for_a_stream(client):
    response = client.post("/execute", json=execute_body({"steps": 0, "tokens": 1}))

    assert response.headers["content-type"] == "application/json"
    assert response.json()["status"] == "completed"
