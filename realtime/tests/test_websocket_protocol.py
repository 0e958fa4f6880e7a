"""The AgentConsumer's protocol: authentication, close codes, and an error for every bad frame."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from rest_framework.authtoken.models import Token

from realtime.publish import publisher
from runs import services
from runs.events import PendingEvent
from runs.models import AgentExecution
from testsupport.sockets import AgentSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis_url")]


async def test_a_session_user_is_connected_to_their_agent(owner, agent):
    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}
    await socket.close()


async def test_a_token_in_the_first_message_authenticates(owner, agent):
    token = await sync_to_async(Token.objects.create)(user=owner)
    socket = await AgentSocket.open(agent.id)
    await socket.send({"action": "authenticate", "token": token.key})
    assert (await socket.receive())["type"] == "connection"
    await socket.close()


async def test_without_authentication_it_closes_with_4001_and_sends_nothing(agent):
    socket = await AgentSocket.open(agent.id)
    assert await socket.receive_close_code(timeout=3) == 4001


async def test_a_wrong_token_closes_with_4001(agent):
    socket = await AgentSocket.open(agent.id)
    await socket.send({"action": "authenticate", "token": "nope"})
    assert await socket.receive_close_code() == 4001


async def test_any_other_first_message_closes_with_4001(agent):
    socket = await AgentSocket.open(agent.id)
    await socket.send({"action": "start_agent", "input_data": {}})
    assert await socket.receive_close_code() == 4001
    assert not await sync_to_async(AgentExecution.objects.exists)()


async def test_someone_elses_agent_closes_with_4003(outsider, agent):
    socket = await AgentSocket.open(agent.id, user=outsider, expect_connected=False)
    assert await socket.receive_close_code() == 4003


async def test_a_missing_agent_looks_the_same_as_someone_elses(owner):
    for agent_id in (uuid.uuid4(), "not-a-uuid"):
        socket = await AgentSocket.open(agent_id, user=owner, expect_connected=False)
        assert await socket.receive_close_code() == 4003


async def test_staff_may_watch_any_agent(staff, agent):
    socket = await AgentSocket.open(agent.id, user=staff)
    await socket.close()


BAD_FRAMES = [
    ("{not json", "invalid_json"),
    ("[1, 2]", "invalid_frame"),
    ('{"no_action": 1}', "unknown_action"),
    ('{"action": "dance"}', "unknown_action"),
    ('{"action": 7}', "unknown_action"),
    ('{"action": "subscribe"}', "missing_field"),
    ('{"action": "subscribe", "execution_id": "nope"}', "invalid_field"),
    ('{"action": "subscribe", "execution_id": "%s", "after_seq": -1}' % uuid.uuid4(), "invalid_field"),
    ('{"action": "subscribe", "execution_id": "%s", "after_seq": true}' % uuid.uuid4(), "invalid_field"),
    ('{"action": "subscribe", "execution_id": "%s"}' % uuid.uuid4(), "not_found"),
    ('{"action": "stop_agent"}', "missing_field"),
    ('{"action": "start_agent", "input_data": [1]}', "invalid_field"),
    ('{"action": "authenticate", "token": "x"}', "already_authenticated"),
]


@pytest.mark.parametrize("frame, code", BAD_FRAMES)
async def test_a_bad_frame_gets_an_error_and_the_connection_stays_usable(owner, agent, frame, code):
    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send_text(frame)
    error = await socket.receive()
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}
    await socket.close()


async def test_it_refuses_to_subscribe_to_or_stop_another_users_execution(owner, outsider, make_agent, agent):
    foreign_agent = await sync_to_async(make_agent)(user=outsider, name="Oscar's")
    foreign = await sync_to_async(AgentExecution.objects.create)(agent=foreign_agent)
    socket = await AgentSocket.open(agent.id, user=owner)
    for action in ("subscribe", "stop_agent"):
        await socket.send({"action": action, "execution_id": str(foreign.id)})
        assert (await socket.receive())["code"] == "not_found"
    await sync_to_async(foreign.refresh_from_db)()
    assert foreign.status == "pending"
    await socket.close()


async def test_a_refused_subscription_receives_none_of_the_executions_events(owner, outsider, make_agent, agent):
    foreign_agent = await sync_to_async(make_agent)(user=outsider, name="Oscar's")
    foreign = await sync_to_async(AgentExecution.objects.create)(agent=foreign_agent)
    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send({"action": "subscribe", "execution_id": str(foreign.id)})
    assert (await socket.receive())["code"] == "not_found"

    await sync_to_async(_stream_a_token)(foreign.id)
    await socket.send({"action": "ping"})

    assert await socket.receive() == {"type": "pong"}
    await socket.close()


def _stream_a_token(execution_id):
    services.claim_execution(execution_id)
    services.record_events(execution_id, [PendingEvent("token", {"content": "secret"}, timezone.now())])
    publisher.flush()


async def test_an_inactive_agent_cannot_be_started_over_the_socket(owner, make_agent):
    inactive = await sync_to_async(make_agent)(status="inactive")
    socket = await AgentSocket.open(inactive.id, user=owner)
    await socket.send({"action": "start_agent", "input_data": {}})
    assert (await socket.receive())["code"] == "agent_inactive"
    await socket.close()


async def test_stopping_a_pending_execution_over_the_socket_ends_it_at_once(owner, agent):
    execution = await sync_to_async(AgentExecution.objects.create)(agent=agent)
    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send({"action": "subscribe", "execution_id": str(execution.id)})
    await socket.send({"action": "stop_agent", "execution_id": str(execution.id)})
    events = await socket.events_until_terminal(execution.id, timeout=5)
    assert [(event["seq"], event["type"]) for event in events] == [(1, "execution_stopped")]
    await socket.close()
