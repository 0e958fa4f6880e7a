"""The api's open-connection gauges follow sockets as they open and close."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from ops import metrics
from testsupport.sockets import AgentSocket

pytestmark = pytest.mark.django_db(transaction=True)


def sockets():
    return metrics.REGISTRY.get_sample_value("agents_open_sockets")


async def test_open_sockets_count_a_socket_until_it_closes(owner, make_agent, redis_url):
    agent = await sync_to_async(make_agent)()
    before = sockets()
    socket = await AgentSocket.open(agent.id, user=owner)
    assert sockets() == before + 1
    await socket.close()
    for _ in range(50):
        if sockets() == before:
            break
        await asyncio.sleep(0.05)
    assert sockets() == before
    assert metrics.REGISTRY.get_sample_value("agents_open_streams") == 0
