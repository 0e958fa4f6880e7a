"""The user socket /ws/: every execution the user may see, starts naming their agent."""

import pytest
from asgiref.sync import sync_to_async

from runs.models import AgentExecution
from testsupport.sockets import AgentSocket, assert_complete_sequence

pytestmark = pytest.mark.usefixtures("worker")


async def test_it_follows_executions_of_several_agents_on_one_connection(owner, make_agent):
    first, second = [await sync_to_async(make_agent)(name=name) for name in ("First", "Second")]
    socket = await AgentSocket.open(None, user=owner)
    for agent in (first, second):
        await socket.send({"action": "start_agent", "agent_id": str(agent.id), "input_data": {"n": 1}})
    created, received = {}, {}
    while len(created) < 2 or len(received) < 2 or not all(
        events[-1]["type"] == "execution_completed" for events in received.values()
    ):
        message = await socket.receive(timeout=30)
        if message["type"] == "execution_created":
            created[message["execution"]["agent"]] = message["execution"]["id"]
        elif "seq" in message:
            received.setdefault(message["execution_id"], []).append(message)
    await socket.close()
    assert set(created) == {str(first.id), str(second.id)}
    assert set(received) == set(created.values())
    for execution_id, events in received.items():
        assert_complete_sequence(events, execution_id)


async def test_it_replays_any_of_the_users_executions_from_a_seq(owner, make_agent):
    agent = await sync_to_async(make_agent)()
    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send({"action": "start_agent", "input_data": {}})
    execution_id = (await socket.receive())["execution"]["id"]
    everything = await socket.events_until_terminal(execution_id)
    await socket.close()

    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "execution_id": execution_id, "after_seq": 2})
    assert await socket.events_until_terminal(execution_id) == everything[2:]
    await socket.close()


@pytest.mark.parametrize(
    "frame, code",
    [
        ({"action": "start_agent", "input_data": {}}, "missing_field"),
        ({"action": "start_agent", "agent_id": "nope"}, "invalid_field"),
        ({"action": "subscribe"}, "missing_field"),
    ],
)
async def test_a_bad_frame_gets_an_error_with_its_field(owner, frame, code):
    socket = await AgentSocket.open(None, user=owner)
    await socket.send(frame)
    error = await socket.receive()
    assert (error["type"], error["code"]) == ("error", code)
    assert error["fields"]
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}
    await socket.close()


async def test_someone_elses_agent_and_execution_are_not_found(owner, outsider, make_agent):
    foreign_agent = await sync_to_async(make_agent)(user=outsider, name="Oscar's")
    foreign = await sync_to_async(AgentExecution.objects.create)(agent=foreign_agent)
    socket = await AgentSocket.open(None, user=owner)
    for frame in (
        {"action": "start_agent", "agent_id": str(foreign_agent.id), "input_data": {}},
        {"action": "subscribe", "execution_id": str(foreign.id)},
        {"action": "stop_agent", "execution_id": str(foreign.id)},
    ):
        await socket.send(frame)
        assert (await socket.receive())["code"] == "not_found"
    assert await sync_to_async(AgentExecution.objects.filter(agent=foreign_agent).count)() == 1
    await sync_to_async(foreign.refresh_from_db)()
    assert foreign.status == "pending"
    await socket.close()


async def test_an_agent_deactivated_after_the_socket_opened_is_not_started(owner, agent):
    socket = await AgentSocket.open(agent.id, user=owner)
    agent.status = "inactive"
    await sync_to_async(agent.save)()
    await socket.send({"action": "start_agent", "input_data": {}})
    assert (await socket.receive())["code"] == "agent_inactive"
    await sync_to_async(agent.delete)()
    await socket.send({"action": "start_agent", "input_data": {}})
    assert (await socket.receive())["code"] == "not_found"
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}
    await socket.close()


async def test_an_unauthenticated_user_socket_is_closed_with_4001():
    socket = await AgentSocket.open(None)
    await socket.send({"action": "ping"})
    assert await socket.receive_close_code() == 4001
