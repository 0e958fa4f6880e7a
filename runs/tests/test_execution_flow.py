"""End to end through a real worker and agent server: start, stream, stop, reconnect."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from runs.events import row_message
from runs.models import AgentEvent, AgentExecution
from testsupport.sockets import AgentSocket, assert_complete_sequence, wait_for_status

pytestmark = pytest.mark.usefixtures("worker")

LONG_RUN = {"steps": 1, "tokens": 2000, "delay_ms": 10}


async def stored_messages(execution_id):
    rows = AgentEvent.objects.filter(execution_id=execution_id).order_by("seq")
    return await sync_to_async(lambda: [row_message(row) for row in rows])()


async def start_over_socket(socket, input_data=None):
    await socket.send({"action": "start_agent", "input_data": input_data or {}})
    created = await socket.receive()
    assert created["type"] == "execution_created"
    return created["execution"]["id"]


async def test_a_started_execution_streams_every_event_then_completes(owner, make_agent):
    agent = await sync_to_async(make_agent)(config={"steps": 3, "tokens": 25, "delay_ms": 0})
    socket = await AgentSocket.open(agent.id, user=owner)
    execution_id = await start_over_socket(socket, {"question": "why"})
    events = await socket.events_until_terminal(execution_id)
    await socket.close()

    assert_complete_sequence(events, execution_id)
    assert events[0]["type"] == "execution_started"
    assert events[0]["input_data"] == {"question": "why"}
    kinds = [event.get("event_type") for event in events[1:-1]]
    assert kinds == ["progress", "step"] * 3 + ["token"] * 25
    assert [event["content"]["percent"] for event in events if event.get("event_type") == "progress"] == [33, 66, 100]
    assert events[-1]["type"] == "execution_completed"
    text = "".join(event["content"]["content"] for event in events if event.get("event_type") == "token")
    assert events[-1]["output"]["text"] == text
    # What was sent live is exactly what is stored.
    assert events == await stored_messages(execution_id)
    execution = await sync_to_async(AgentExecution.objects.get)(id=execution_id)
    assert execution.status == "completed"
    assert execution.last_seq == len(events) == 3 * 2 + 25 + 2
    assert execution.started_at and execution.completed_at


async def test_an_execution_started_over_rest_can_be_watched_from_its_first_event(api_as, owner, agent):
    response = await sync_to_async(api_as(owner).post)(f"/api/agents/{agent.id}/executions/", {}, format="json")
    execution_id = response.json()["id"]
    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send({"action": "subscribe", "execution_id": execution_id, "after_seq": 0})
    events = await socket.events_until_terminal(execution_id)
    await socket.close()
    assert_complete_sequence(events, execution_id)
    assert events[-1]["type"] == "execution_completed"


async def test_a_failing_agent_ends_in_execution_error_with_its_message(owner, make_agent):
    agent = await sync_to_async(make_agent)(config={"steps": 2, "tokens": 5, "fail_at": 3})
    socket = await AgentSocket.open(agent.id, user=owner)
    execution_id = await start_over_socket(socket)
    events = await socket.events_until_terminal(execution_id)
    await socket.close()
    assert_complete_sequence(events, execution_id)
    assert len(events) == 1 + 2 + 1
    assert events[-1]["type"] == "execution_error"
    assert events[-1]["code"] == "synthetic_failure"
    execution = await sync_to_async(AgentExecution.objects.get)(id=execution_id)
    assert (execution.status, execution.error_message) == ("failed", events[-1]["message"])


async def test_stopping_mid_run_ends_it_stopped_with_nothing_after(api_as, owner, make_agent):
    agent = await sync_to_async(make_agent)(config=LONG_RUN)
    socket = await AgentSocket.open(agent.id, user=owner)
    execution_id = await start_over_socket(socket)
    await socket.events_until_terminal(execution_id, stop_after=20)
    await socket.send({"action": "stop_agent", "execution_id": execution_id})
    rest = await socket.events_until_terminal(execution_id, timeout=10)
    assert rest[-1]["type"] == "execution_stopped"

    execution = await sync_to_async(wait_for_status)(execution_id, "stopped", timeout=5)
    assert execution.last_seq == rest[-1]["seq"] < 2000
    # Stop again, over REST this time: a no-op.
    response = await sync_to_async(api_as(owner).post)(f"/api/executions/{execution_id}/stop/")
    assert (response.status_code, response.json()["status"]) == (202, "stopped")
    await asyncio.sleep(0.5)
    assert await sync_to_async(AgentEvent.objects.filter(execution_id=execution_id).count)() == execution.last_seq
    await socket.nothing_more()
    await socket.close()


async def test_a_stop_over_rest_reaches_the_worker(api_as, owner, make_agent):
    agent = await sync_to_async(make_agent)(config=LONG_RUN)
    response = await sync_to_async(api_as(owner).post)(f"/api/agents/{agent.id}/executions/", {}, format="json")
    execution_id = response.json()["id"]
    await sync_to_async(wait_for_status)(execution_id, "running")
    await sync_to_async(api_as(owner).post)(f"/api/executions/{execution_id}/stop/")
    execution = await sync_to_async(wait_for_status)(execution_id, ["stopped", "completed", "failed"], timeout=5)
    assert execution.status == "stopped"


async def test_a_client_that_reconnects_gets_every_event_exactly_once_in_order(owner, make_agent):
    agent = await sync_to_async(make_agent)(config={"steps": 2, "tokens": 300, "delay_ms": 5})
    first = await AgentSocket.open(agent.id, user=owner)
    execution_id = await start_over_socket(first)
    seen = await first.events_until_terminal(execution_id, stop_after=30)
    await first.close()
    # Events keep coming while the client is away.
    await asyncio.sleep(0.5)

    second = await AgentSocket.open(agent.id, user=owner)
    await second.send({"action": "subscribe", "execution_id": execution_id, "after_seq": seen[-1]["seq"]})
    seen += await second.events_until_terminal(execution_id)
    await second.close()

    assert_complete_sequence(seen, execution_id)
    assert seen[-1]["type"] == "execution_completed"
    assert seen == await stored_messages(execution_id)


async def test_two_sockets_watching_one_execution_each_get_it_all(owner, make_agent):
    agent = await sync_to_async(make_agent)(config={"steps": 1, "tokens": 100, "delay_ms": 2})
    starter = await AgentSocket.open(agent.id, user=owner)
    watcher = await AgentSocket.open(agent.id, user=owner)
    execution_id = await start_over_socket(starter)
    await watcher.send({"action": "subscribe", "execution_id": execution_id})
    started, watched = await asyncio.gather(
        starter.events_until_terminal(execution_id), watcher.events_until_terminal(execution_id)
    )
    assert started == watched
    assert_complete_sequence(watched, execution_id)
    await starter.close()
    await watcher.close()
