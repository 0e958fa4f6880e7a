"""Agents over REST: CRUD, validation with field errors, ownership."""

import pytest

pytestmark = pytest.mark.django_db

SYNTHETIC = {"steps": 2, "tokens": 3, "delay_ms": 0}


def test_an_owner_creates_and_reads_an_agent(api_as, owner):
    client = api_as(owner)
    response = client.post(
        "/api/agents/", {"name": "Writer", "description": "d", "runtime": "synthetic", "config": SYNTHETIC}
    )
    assert response.status_code == 201, response.data
    body = response.json()
    assert set(body) >= {"id", "name", "description", "status", "runtime", "config", "created_at", "updated_at"}
    assert body["status"] == "active"
    assert body["latest_execution"] is None
    assert client.get(f"/api/agents/{body['id']}/").json()["name"] == "Writer"


def test_it_updates_and_deletes_an_agent(api_as, owner, agent):
    client = api_as(owner)
    assert client.patch(f"/api/agents/{agent.id}/", {"status": "inactive"}).json()["status"] == "inactive"
    response = client.put(
        f"/api/agents/{agent.id}/", {"name": "Renamed", "runtime": "synthetic", "config": {"steps": 1}}
    )
    assert response.status_code == 200, response.data
    assert response.json()["config"] == {"steps": 1}
    assert client.delete(f"/api/agents/{agent.id}/").status_code == 204
    assert client.get(f"/api/agents/{agent.id}/").status_code == 404


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"runtime": "synthetic"}, "name"),
        ({"name": "x"}, "runtime"),
        ({"name": "x", "runtime": "no-such-runtime"}, "runtime"),
        ({"name": "x", "runtime": "synthetic", "status": "sleeping"}, "status"),
        ({"name": "x", "runtime": "synthetic", "config": [1, 2]}, "config"),
        ({"name": "x", "runtime": "synthetic", "config": {"steps": "many"}}, "config"),
        ({"name": "x", "runtime": "synthetic", "config": {"unknown": 1}}, "config"),
    ],
)
def test_bad_agent_input_is_a_400_naming_the_field(api_as, owner, payload, field):
    response = api_as(owner).post("/api/agents/", payload)
    assert response.status_code == 400
    assert field in response.json()


def test_config_errors_name_the_option(api_as, owner):
    response = api_as(owner).post(
        "/api/agents/", {"name": "x", "runtime": "synthetic", "config": {"steps": "many"}}
    )
    assert "steps" in response.json()["config"]


def test_malformed_json_is_a_400_not_a_500(api_as, owner):
    response = api_as(owner).generic("POST", "/api/agents/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_an_outsider_cannot_see_or_touch_someone_elses_agent(api_as, outsider, agent):
    client = api_as(outsider)
    assert client.get("/api/agents/").json()["count"] == 0
    assert client.get(f"/api/agents/{agent.id}/").status_code == 404
    assert client.patch(f"/api/agents/{agent.id}/", {"name": "mine"}).status_code == 404
    assert client.delete(f"/api/agents/{agent.id}/").status_code == 404
    assert client.post(f"/api/agents/{agent.id}/executions/", {}).status_code == 404


def test_staff_see_every_agent(api_as, staff, agent):
    client = api_as(staff)
    assert client.get("/api/agents/").json()["count"] == 1
    assert client.get(f"/api/agents/{agent.id}/").status_code == 200


def test_anonymous_requests_are_refused(api_as, agent):
    assert api_as().get("/api/agents/").status_code in (401, 403)


def test_the_agent_list_shows_each_agents_latest_execution_in_constant_queries(
    api_as, owner, make_agent, django_assert_max_num_queries
):
    from runs.models import AgentExecution

    for index in range(5):
        agent = make_agent(name=f"agent {index}")
        AgentExecution.objects.create(agent=agent, status="completed")
        AgentExecution.objects.create(agent=agent, status="running")
    client = api_as(owner)
    with django_assert_max_num_queries(4):
        body = client.get("/api/agents/").json()
    assert body["count"] == 5
    assert {agent["latest_execution"]["status"] for agent in body["results"]} == {"running"}


def test_it_lists_the_runtimes_with_their_config_schemas(api_as, owner):
    runtimes = api_as(owner).get("/api/runtimes/").json()
    synthetic = next(runtime for runtime in runtimes if runtime["name"] == "synthetic")
    assert set(synthetic["config_schema"]["properties"]) == {"steps", "tokens", "delay_ms", "fail_at", "stamp", "ask"}
    assert synthetic["description"]
