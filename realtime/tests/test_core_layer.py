"""CHANNEL_LAYER=core (channels-redis's default layer, the benchmark's comparison):
an idle socket outlives the layer's blocking pop, and runs still stream live."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from realtime.channel_layer import CoreChannelLayer

from .private_stack import api_and_worker, open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stack(platform_env, redis, transactional_db):
    with api_and_worker(platform_env, redis.url, CHANNEL_LAYER="core") as (api, _worker):
        yield api


def test_its_connections_wait_longer_than_its_blocking_pop():
    layer = CoreChannelLayer(hosts=["redis://127.0.0.1:6379/0"])
    assert layer.hosts[0]["socket_timeout"] > layer.brpop_timeout
    # A timeout the deployment chose wins.
    layer = CoreChannelLayer(hosts=[{"address": "redis://127.0.0.1:6379/0", "socket_timeout": 30}])
    assert layer.hosts[0]["socket_timeout"] == 30


async def test_an_idle_socket_stays_up_and_then_follows_a_run(stack, owner, agent):
    token = await sync_to_async(lambda: Token.objects.create(user=owner).key)()
    socket = await open_socket(stack, f"/ws/agents/{agent.id}/", token)

    # Past the layer's 5 s pop and redis-py's 5 s default socket timeout, with nothing to receive.
    await asyncio.sleep(7)

    await socket.send(json.dumps({"action": "ping"}))
    assert await receive_until(socket, lambda message: True, timeout=5) == {"type": "pong"}
    await socket.send(json.dumps({"action": "start_agent", "input_data": {}}))
    created = await receive_until(socket, lambda message: message["type"] == "execution_created")
    execution_id = created["execution"]["id"]
    seqs = []
    last = await receive_until(
        socket,
        lambda message: message.get("execution_id") == execution_id and "seq" in message
        and (seqs.append(message["seq"]) or message["type"] == "execution_completed"),
    )
    await socket.close()
    assert last["type"] == "execution_completed"
    assert seqs == list(range(1, len(seqs) + 1))
    assert "TimeoutError" not in stack.log_text()
