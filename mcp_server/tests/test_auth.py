"""The request guard: the shared bearer token, the Host check and JSON-only bodies."""

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


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8001", "127.0.0.1.nip.io", "[::2]:8001"])
def test_it_refuses_a_foreign_host_on_every_route(guarded_client, host):
    # A page on evil.example that rebinds its name to 127.0.0.1 sends its own Host.
    for method, path in [("GET", "/health"), ("POST", "/execute"), ("POST", "/knowledge/a1/search")]:
        response = guarded_client.request(
            method, path, json=BODY, headers={"Host": host, "Authorization": f"Bearer {AGENT_TOKEN}"}
        )

        assert response.status_code == 400, (method, path)
        assert response.json()["error"]["code"] == "invalid_host"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8001", "LOCALHOST", "[::1]:8001"])
def test_it_answers_the_loopback_names(guarded_client, host):
    assert guarded_client.get("/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None])
def test_it_takes_only_json_bodies(guarded_client, content_type):
    # Each of these a browser sends cross-site without a preflight.
    headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    if content_type:
        headers["Content-Type"] = content_type
    for path in ["/execute", "/knowledge/a1/search"]:
        response = guarded_client.post(path, content=b'{"query": "x"}', headers=headers)

        assert response.status_code == 415, path
        assert response.json()["error"]["code"] == "unsupported_media_type"


def test_it_takes_json_with_a_charset(guarded_client):
    response = guarded_client.post(
        "/knowledge/a1/search",
        content=b'{"query": "anything"}',
        headers={"Authorization": f"Bearer {AGENT_TOKEN}", "Content-Type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 200
