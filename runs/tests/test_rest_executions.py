"""Executions over REST: start, list and filter, stop, read events; ownership and bad input."""

import pytest

from runs import services
from runs.models import AgentEvent, AgentExecution

pytestmark = pytest.mark.django_db


def test_starting_an_execution_answers_201_with_a_pending_execution(api_as, owner, agent):
    response = api_as(owner).post(f"/api/agents/{agent.id}/executions/", {"input_data": {"q": "hi"}}, format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["status"] == "pending"
    assert body["input_data"] == {"q": "hi"}
    assert body["agent"] == str(agent.id)
    assert set(body) >= {"id", "output_data", "error_message", "created_at", "started_at", "completed_at"}


@pytest.mark.parametrize("input_data", [[1, 2], "text", 3])
def test_input_data_must_be_an_object(api_as, owner, agent, input_data):
    response = api_as(owner).post(f"/api/agents/{agent.id}/executions/", {"input_data": input_data}, format="json")
    assert response.status_code == 400
    assert "input_data" in response.json()


def test_an_inactive_agent_cannot_be_started(api_as, owner, make_agent):
    agent = make_agent(status="inactive")
    response = api_as(owner).post(f"/api/agents/{agent.id}/executions/", {}, format="json")
    assert response.status_code == 409
    assert not AgentExecution.objects.exists()


def test_executions_filter_by_agent_and_status(api_as, owner, make_agent, django_assert_max_num_queries):
    first, second = make_agent(name="first"), make_agent(name="second")
    AgentExecution.objects.create(agent=first, status="completed")
    AgentExecution.objects.create(agent=first, status="failed")
    AgentExecution.objects.create(agent=second, status="completed")
    client = api_as(owner)
    with django_assert_max_num_queries(3):
        assert client.get("/api/executions/").json()["count"] == 3
    assert client.get(f"/api/executions/?agent={first.id}").json()["count"] == 2
    assert client.get(f"/api/executions/?agent={first.id}&status=completed").json()["count"] == 1


@pytest.mark.parametrize("query, field", [("status=sleeping", "status"), ("agent=not-a-uuid", "agent")])
def test_bad_filters_are_a_400(api_as, owner, query, field):
    response = api_as(owner).get(f"/api/executions/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_stopping_a_pending_execution_stops_it_at_once_and_again_is_a_no_op(api_as, owner, agent):
    execution = AgentExecution.objects.create(agent=agent)
    client = api_as(owner)
    response = client.post(f"/api/executions/{execution.id}/stop/")
    assert response.status_code == 202
    assert response.json()["status"] == "stopped"
    assert client.post(f"/api/executions/{execution.id}/stop/").status_code == 202
    events = list(AgentEvent.objects.filter(execution=execution).values_list("seq", "event_type"))
    assert events == [(1, "execution_stopped")]


def test_stopping_a_finished_execution_changes_nothing(api_as, owner, agent):
    execution = AgentExecution.objects.create(agent=agent, status="completed")
    response = api_as(owner).post(f"/api/executions/{execution.id}/stop/")
    assert response.status_code == 202
    assert response.json()["status"] == "completed"
    assert not AgentEvent.objects.filter(execution=execution).exists()


def make_run(agent, tokens):
    execution = AgentExecution.objects.create(agent=agent)
    services.claim_execution(execution.id)
    services.record_events(
        execution.id,
        [services.events.PendingEvent("token", {"content": f"t{n} "}, execution.created_at) for n in range(tokens)],
    )
    services.complete_execution(execution.id, {"text": "done"})
    return execution


def test_events_come_in_seq_order_after_a_given_seq(api_as, owner, agent):
    execution = make_run(agent, tokens=5)
    client = api_as(owner)
    events = client.get(f"/api/executions/{execution.id}/events/").json()["results"]
    assert [event["seq"] for event in events] == list(range(1, 8))
    assert events[0]["type"] == "execution_started"
    assert events[1] == {
        "type": "agent_event",
        "execution_id": str(execution.id),
        "seq": 2,
        "event_type": "token",
        "content": {"content": "t0 "},
        "timestamp": events[1]["timestamp"],
    }
    assert events[-1]["type"] == "execution_completed"
    assert events[-1]["output"] == {"text": "done"}
    later = client.get(f"/api/executions/{execution.id}/events/?after_seq=5").json()["results"]
    assert [event["seq"] for event in later] == [6, 7]


def test_events_page_by_seq_with_a_next_link(api_as, owner, agent):
    execution = make_run(agent, tokens=5)
    client = api_as(owner)
    page = client.get(f"/api/executions/{execution.id}/events/?limit=4").json()
    assert [event["seq"] for event in page["results"]] == [1, 2, 3, 4]
    rest = client.get(page["next"]).json()
    assert [event["seq"] for event in rest["results"]] == [5, 6, 7]
    assert rest["next"] is None


@pytest.mark.parametrize("query", ["after_seq=-1", "after_seq=x", "limit=0", "limit=100000"])
def test_bad_event_queries_are_a_400(api_as, owner, agent, query):
    execution = AgentExecution.objects.create(agent=agent)
    assert api_as(owner).get(f"/api/executions/{execution.id}/events/?{query}").status_code == 400


def test_an_outsider_gets_404_for_someone_elses_execution(api_as, outsider, agent):
    execution = AgentExecution.objects.create(agent=agent)
    client = api_as(outsider)
    assert client.get("/api/executions/").json()["count"] == 0
    assert client.get(f"/api/executions/{execution.id}/").status_code == 404
    assert client.get(f"/api/executions/{execution.id}/events/").status_code == 404
    assert client.post(f"/api/executions/{execution.id}/stop/").status_code == 404
    execution.refresh_from_db()
    assert execution.status == "pending"


def test_staff_can_read_anyones_execution(api_as, staff, agent):
    execution = AgentExecution.objects.create(agent=agent)
    assert api_as(staff).get(f"/api/executions/{execution.id}/").status_code == 200


def test_filtering_by_someone_elses_agent_looks_like_filtering_by_a_missing_one(api_as, owner, outsider, agent):
    import uuid

    AgentExecution.objects.create(agent=agent)
    client = api_as(outsider)
    for agent_id in (agent.id, uuid.uuid4()):
        response = client.get("/api/executions/", {"agent": str(agent_id)})
        assert (response.status_code, response.json()["count"]) == (200, 0)
    assert client.get("/api/executions/", {"agent": "not-a-uuid"}).status_code == 400
    assert api_as(owner).get("/api/executions/", {"agent": str(agent.id)}).json()["count"] == 1


def test_the_stream_path_served_by_django_alone_says_where_streams_are_served(api_as, owner, agent):
    # The api's ASGI application serves it on the event loop (realtime/tests/test_sse.py);
    # Django's own view only answers where Django runs without that application.
    execution = AgentExecution.objects.create(agent=agent)
    response = api_as(owner).get(f"/api/executions/{execution.id}/stream/")
    assert response.status_code == 501
    assert response.json()["code"] == "streaming_unavailable"
