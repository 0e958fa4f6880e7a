"""The shared bearer token required when MCP_AGENT_TOKEN is set."""

import pytest

from mcp_server.tests.conftest import AGENT_TOKEN
from mcp_server.tests.helpers import execute_body, stream_events

BODY = execute_body({"steps": 1, "tokens": 1})


def test_it_keeps_health_open_without_a_token(guarded_client):
    assert guarded_client.get("/health").status_code == 200


def test_it_rejects_a_request_without_a_token(guarded_client):
    response = guarded_client.post("/execute", json=BODY)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "error": {"message": "Missing bearer token: send 'Authorization: Bearer <token>'.", "code": "unauthorized"}
    }


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {AGENT_TOKEN}x", f"Bearer {AGENT_TOKEN[:-1]}", "Bearer", f"Basic {AGENT_TOKEN}", AGENT_TOKEN],
)
def test_it_rejects_a_request_with_a_wrong_token(guarded_client, authorization):
    response = guarded_client.post("/execute", json=BODY, headers={"Authorization": authorization})

    assert response.status_code == 401
    assert response.json() == {"error": {"message": "Invalid bearer token.", "code": "unauthorized"}}


def test_it_guards_unknown_paths_too(guarded_client):
    assert guarded_client.get("/nowhere").status_code == 401


def test_it_runs_a_request_with_the_right_token(guarded_client):
    headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}

    events = stream_events(guarded_client, BODY, headers=headers)

    assert events[-1][0] == "result"


def test_it_accepts_the_bearer_scheme_in_any_case(guarded_client):
    response = guarded_client.post("/execute", json=BODY, headers={"Authorization": f"bearer {AGENT_TOKEN}"})

    assert response.status_code == 200


def test_it_never_writes_the_token_to_its_log(guarded_mcp_server, guarded_client):
    guarded_client.post("/execute", json=BODY, headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
    guarded_client.post("/execute", json=BODY, headers={"Authorization": "Bearer wrong"})

    assert AGENT_TOKEN not in guarded_mcp_server.log_text()


def test_it_needs_no_token_when_none_is_configured(client):
    assert client.post("/execute", json=BODY).status_code == 200
