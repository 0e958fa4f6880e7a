"""Hostile input meets a limit where it enters: deep JSON and huge integers are clear errors, not crashes."""

import pytest
from asgiref.sync import sync_to_async

from config.limits import MAX_JSON_DEPTH, MAX_SEQ, json_too_deep
from runs.models import AgentExecution
from testsupport.sockets import AgentSocket

DEEP = "[" * 1000 + "]" * 1000


def nested(depth):
    value = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_the_depth_check_counts_levels_without_recursing():
    assert not json_too_deep(nested(MAX_JSON_DEPTH))
    assert json_too_deep(nested(MAX_JSON_DEPTH + 1))
    assert json_too_deep([[[[]]]], limit=3) and not json_too_deep([[[]]], limit=3)


@pytest.mark.django_db
def test_a_deeply_nested_body_is_a_400_even_where_it_needs_no_login(api_as, owner, agent):
    anonymous = api_as().post("/api/auth/token/", DEEP, content_type="application/json")
    start = api_as(owner).post(f"/api/agents/{agent.id}/executions/", {"input_data": nested(40)}, format="json")
    assert anonymous.status_code == 400 and "nested" in anonymous.json()["detail"]
    assert start.status_code == 400
    assert not AgentExecution.objects.exists()


@pytest.mark.django_db
def test_a_cursor_past_any_seq_is_a_400(api_as, owner, agent):
    execution = AgentExecution.objects.create(agent=agent)
    response = api_as(owner).get(f"/api/executions/{execution.id}/events/", {"after_seq": 2**63})
    assert response.status_code == 400
    assert "after_seq" in response.json()
    assert api_as(owner).get(f"/api/executions/{execution.id}/events/", {"after_seq": MAX_SEQ}).status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_deep_frames_and_huge_cursors_get_an_error_and_the_socket_stays_open(owner, agent):
    execution = await sync_to_async(AgentExecution.objects.create)(agent=agent)
    anonymous = await AgentSocket.open(agent.id)
    await anonymous.send_text(DEEP)  # before authenticating too
    assert (await anonymous.receive())["code"] == "invalid_json"
    await anonymous.close()

    socket = await AgentSocket.open(agent.id, user=owner)
    for frame in (DEEP, '{"action": "start_agent", "input_data": %s}' % ("[" * 40 + "]" * 40)):
        await socket.send_text(frame)
        error = await socket.receive()
        assert (error["type"], error["code"]) == ("error", "invalid_json")
    await socket.send({"action": "subscribe", "execution_id": str(execution.id), "after_seq": 2**63})
    assert (await socket.receive())["code"] == "invalid_field"
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}
    await socket.close()
    assert await sync_to_async(AgentExecution.objects.count)() == 1


@pytest.mark.django_db
def test_input_data_and_configs_are_bounded_in_size_over_rest(api_as, owner, agent):
    client = api_as(owner)
    start = client.post(f"/api/agents/{agent.id}/executions/", {"input_data": {"t": "a" * 300_000}}, format="json")
    create = client.post("/api/agents/", {"name": "Big", "runtime": "synthetic", "config": {"x": "a" * 70_000}},
                         format="json")

    assert start.status_code == 400 and list(start.json()) == ["input_data"]
    assert create.status_code == 400 and list(create.json()) == ["config"]
    assert not AgentExecution.objects.exists()
