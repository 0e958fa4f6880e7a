"""GET /api/executions/{id}/stream/: an execution as server-sent events, from the real api process."""

import threading

import httpx
import pytest
from httpx_sse import connect_sse
from rest_framework.authtoken.models import Token

from testsupport.stack import start_api

pytestmark = pytest.mark.usefixtures("worker")

TERMINAL = {"execution_completed", "execution_error", "execution_stopped"}


@pytest.fixture
def stream_api(platform_env):
    # Two request threads and quick pings: streams must not need the threads.
    process = start_api({**platform_env, "API_THREADS": "2", "SSE_HEARTBEAT_SECONDS": "0.3"})
    yield process
    process.stop()


def client_for(api, user):
    token = Token.objects.get_or_create(user=user)[0].key
    return httpx.Client(base_url=api.url, headers={"Authorization": f"Token {token}"}, trust_env=False, timeout=30)


def start(client, agent, input_data=None):
    response = client.post(f"/api/agents/{agent.id}/executions/", json={"input_data": input_data or {}})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def stream_events(client, execution_id, **kwargs):
    with connect_sse(client, "GET", f"/api/executions/{execution_id}/stream/", **kwargs) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [(sse.id, sse.event, sse.json()) for sse in source.iter_sse()]


def stored_events(client, execution_id):
    return client.get(f"/api/executions/{execution_id}/events/").json()["results"]


def test_an_execution_streams_every_stored_event_then_the_stream_ends(stream_api, owner, make_agent):
    agent = make_agent(config={"steps": 2, "tokens": 30, "delay_ms": 5})
    client = client_for(stream_api, owner)
    execution_id = start(client, agent, {"question": "why"})

    frames = stream_events(client, execution_id)

    assert [event_id for event_id, _, _ in frames] == [str(seq) for seq in range(1, len(frames) + 1)]
    assert all(event == data["type"] for _, event, data in frames)
    assert frames[-1][1] == "execution_completed"
    # Each frame's data is the WebSocket message, which is the stored event.
    assert [data for _, _, data in frames] == stored_events(client, execution_id)


def test_a_client_resumes_after_the_last_event_id_it_saw(stream_api, owner, agent):
    client = client_for(stream_api, owner)
    execution_id = start(client, agent)
    everything = stream_events(client, execution_id)

    resumed = stream_events(client, execution_id, headers={"Last-Event-ID": "3"})
    from_query = stream_events(client, execution_id, params={"after_seq": "5"})

    assert resumed == everything[3:]
    assert from_query == everything[5:]


def test_an_idle_stream_gets_pings_and_ends_when_the_execution_is_stopped(stream_api, owner, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 2, "delay_ms": 60_000})
    client = client_for(stream_api, owner)
    execution_id = start(client, agent)
    lines = []
    with client.stream("GET", f"/api/executions/{execution_id}/stream/") as response:
        for line in response.iter_lines():
            lines.append(line)
            if lines.count(": ping") == 2:
                assert client.post(f"/api/executions/{execution_id}/stop/").status_code == 202
    assert lines.count(": ping") >= 2
    assert "event: execution_stopped" in lines
    assert lines.index("event: execution_stopped") > lines.index(": ping")


def test_open_streams_hold_none_of_the_request_threads(stream_api, owner, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 200, "delay_ms": 10})
    client = client_for(stream_api, owner)
    execution_ids = [start(client, agent) for _ in range(3)]
    # Twice as many streams as the api has request threads, all open at once.
    results = {}

    def follow(index, own, execution_id):
        with own:
            results[index] = stream_events(own, execution_id)

    # Clients made here: a thread that touched the database would keep its connection open.
    readers = [
        threading.Thread(target=follow, args=(index, client_for(stream_api, owner), execution_id))
        for index, execution_id in enumerate(execution_ids * 2)
    ]
    for reader in readers:
        reader.start()
    # While they stream, REST still answers at once.
    assert client.get("/api/agents/", timeout=5).status_code == 200
    for reader in readers:
        reader.join(timeout=60)

    assert len(results) == 6
    for index, execution_id in enumerate(execution_ids * 2):
        assert [data for _, _, data in results[index]] == stored_events(client, execution_id)


def test_missing_credentials_are_a_401_and_someone_elses_execution_a_404(stream_api, owner, outsider, agent):
    client = client_for(stream_api, owner)
    execution_id = start(client, agent)
    url = f"{stream_api.url}/api/executions/{execution_id}/stream/"

    anonymous = httpx.get(url, trust_env=False, timeout=10)
    foreign = client_for(stream_api, outsider).get(url)
    bad_cursor = client.get(url, params={"after_seq": "-1"})
    posted = client.post(url)

    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Token"
    assert anonymous.json()["code"] == "not_authenticated"
    assert (foreign.status_code, foreign.json()) == (404, {"detail": "Not found.", "code": "not_found"})
    assert bad_cursor.status_code == 400
    assert "after_seq" in bad_cursor.json()
    assert (posted.status_code, posted.json()["code"]) == (405, "method_not_allowed")
