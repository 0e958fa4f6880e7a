"""Hostile frames and channel-layer messages: each gets a clear answer (or is ignored),
replies stay small, and the connection stays usable."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from config.limits import MAX_FRAME_BYTES
from realtime import consumers
from realtime.publish import publisher
from runs import events, services
from runs.events import PendingEvent
from runs.models import AgentExecution
from testsupport.sockets import AgentSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis_url")]

# Where common WebSocket clients (the Python websockets library, for one) stop reading.
CLIENT_LIMIT = 1024 * 1024


async def assert_still_usable(socket):
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}


async def receive_raw(socket, timeout=5):
    text = await socket.communicator.receive_from(timeout=timeout)
    assert len(text) < CLIENT_LIMIT
    return json.loads(text)


def record_tokens(execution_id, count):
    services.claim_execution(execution_id)
    now = timezone.now()
    for start in range(0, count, 1000):
        services.record_events(
            execution_id, [PendingEvent("token", {"content": "x"}, now) for _ in range(min(1000, count - start))]
        )
    publisher.flush()


async def test_a_frame_over_the_limit_is_refused_and_the_socket_stays_open(owner, agent):
    socket = await AgentSocket.open(agent.id, user=owner)

    await socket.send_text(json.dumps({"action": "x" * (MAX_FRAME_BYTES + 10)}))

    error = await receive_raw(socket)
    assert error["code"] == "frame_too_large"
    await assert_still_usable(socket)
    await socket.close()


async def test_an_error_quotes_a_huge_value_only_in_part(owner, agent):
    socket = await AgentSocket.open(agent.id, user=owner)

    for frame in (
        {"action": "y" * 400_000},
        {"action": "subscribe", "execution_id": "z" * 400_000},
        {"action": "stop_agent", "execution_id": ["z" * 1000] * 300},
    ):
        await socket.send(frame)
        error = await receive_raw(socket)
        assert error["type"] == "error"
        assert len(json.dumps(error)) < 10_000

    await assert_still_usable(socket)
    await socket.close()


async def test_input_data_over_the_limit_is_refused_before_anything_is_stored(owner, agent):
    socket = await AgentSocket.open(agent.id, user=owner)

    await socket.send({"action": "start_agent", "input_data": {"text": "a" * 300_000}})

    error = await receive_raw(socket)
    assert (error["code"], list(error["fields"])) == ("invalid_field", ["input_data"])
    assert error["fields"]["input_data"] == ["Must be at most 262 kB as JSON (got 300 kB)."]
    assert not await sync_to_async(AgentExecution.objects.exists)()
    await assert_still_usable(socket)
    await socket.close()


async def test_input_data_at_the_limit_is_started_and_its_messages_stay_readable(owner, agent):
    socket = await AgentSocket.open(agent.id, user=owner)

    await socket.send({"action": "start_agent", "input_data": {"text": "a" * 250_000}})

    created = await receive_raw(socket)
    assert created["type"] == "execution_created"
    await sync_to_async(services.claim_execution)(created["execution"]["id"])
    await sync_to_async(publisher.flush)()
    while (message := await receive_raw(socket))["type"] != "execution_started":
        assert message["type"] == "execution_status"
    assert len(message["input_data"]["text"]) == 250_000
    await socket.close()


async def test_replays_on_one_connection_are_bounded(owner, agent, monkeypatch):
    # 5,000 stored events; 50 subscribe frames once made the server send 250,000 messages.
    monkeypatch.setattr(consumers, "REPLAY_BURST", 12_000)
    monkeypatch.setattr(consumers, "REPLAY_RATE", 1)
    execution = await sync_to_async(AgentExecution.objects.create)(agent=agent)
    await sync_to_async(record_tokens)(execution.id, 5000)
    socket = await AgentSocket.open(agent.id, user=owner)

    for _ in range(50):
        await socket.send({"action": "subscribe", "execution_id": str(execution.id), "after_seq": 0})
    await socket.send({"action": "ping"})
    replayed = refused = 0
    while (message := await socket.receive(timeout=30)) != {"type": "pong"}:
        if message["type"] == "error":
            assert message["code"] == "rate_limited"
            refused += 1
        elif "seq" in message:
            replayed += 1
        else:
            # The claim's status broadcast may reach the group only after the
            # socket joined it, on a busy machine; it is no replay.
            assert message["type"] == "execution_status", message

    # Whole replays until the allowance is overdrawn (3 of 5,001 messages each), then refusals.
    assert replayed == 3 * 5001
    assert refused == 47
    await socket.close()


async def test_one_connection_follows_a_bounded_number_of_executions(owner, agent, monkeypatch):
    monkeypatch.setattr(consumers, "MAX_SUBSCRIPTIONS", 3)
    executions = [await sync_to_async(AgentExecution.objects.create)(agent=agent) for _ in range(4)]
    socket = await AgentSocket.open(agent.id, user=owner)

    for execution in executions:
        await socket.send({"action": "subscribe", "execution_id": str(execution.id)})
    await socket.send({"action": "ping"})
    codes = []
    while (message := await socket.receive()) != {"type": "pong"}:
        codes.append(message.get("code"))

    assert codes.count("too_many_subscriptions") == 1
    # Subscribing again to one it follows is no new subscription.
    await socket.send({"action": "subscribe", "execution_id": str(executions[0].id)})
    await assert_still_usable(socket)
    await socket.close()


async def test_a_forged_end_on_the_channel_layer_neither_shows_nor_silences_the_stream(owner, agent):
    execution = await sync_to_async(AgentExecution.objects.create)(agent=agent)
    await sync_to_async(services.claim_execution)(execution.id)
    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send({"action": "subscribe", "execution_id": str(execution.id)})
    assert (await socket.receive())["type"] == "execution_started"

    # What someone with access to Redis could publish: the run's "end", with the next seq.
    forged = {
        "type": events.EXECUTION_COMPLETED, "execution_id": str(execution.id), "seq": 2,
        "output": {"text": "forged"}, "timestamp": "2026-01-01T00:00:00Z",
    }
    layer = get_channel_layer()
    await layer.group_send(events.execution_group(str(execution.id)), {"type": "execution.events", "events": [forged]})
    await layer.group_send(
        events.execution_group(str(execution.id)),
        {"type": "execution.events", "events": [{"bogus": True}, "text", {"execution_id": 5, "seq": "x"}]},
    )
    await assert_still_usable(socket)

    # The real run goes on and is seen, the real end included.
    await sync_to_async(record_tokens)(execution.id, 1)
    real = await socket.receive()
    assert (real["seq"], real.get("event_type")) == (2, "token")
    await sync_to_async(services.complete_execution)(execution.id, {"text": "real"})
    await sync_to_async(publisher.flush)()
    end = await socket.receive()
    assert (end["type"], end["output"]) == (events.EXECUTION_COMPLETED, {"text": "real"})
    await socket.close()
