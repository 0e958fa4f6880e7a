"""The pub/sub layer against a private Redis: joining a group returns only once Redis
has the subscription, so whatever is published afterwards reaches the member."""

import asyncio
import os
import signal

import pytest

from realtime import channel_layer
from realtime.channel_layer import BatchingPubSubChannelLayer


@pytest.fixture
async def layer(redis):
    layer = BatchingPubSubChannelLayer(hosts=[redis.url])
    yield layer
    await layer.flush()


async def test_joining_waits_for_redis_to_take_the_subscription(redis, layer):
    channel = await layer.new_channel()
    await layer.group_add("warm-up", channel)  # connected and listening

    os.kill(redis.pid, signal.SIGSTOP)  # Redis reads nothing for now: SUBSCRIBE waits in its socket
    joining = asyncio.create_task(layer.group_add("execution.1", channel))
    await asyncio.sleep(0.5)
    assert not joining.done(), "group_add returned before Redis had the subscription"

    os.kill(redis.pid, signal.SIGCONT)
    await asyncio.wait_for(joining, 5)
    await layer.group_send("execution.1", {"type": "event", "seq": 1})
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "event", "seq": 1}


async def test_a_subscription_redis_never_confirms_is_an_error(redis, layer, monkeypatch):
    monkeypatch.setattr(channel_layer, "SUBSCRIBE_CONFIRM_TIMEOUT", 0.5)
    channel = await layer.new_channel()
    await layer.group_add("warm-up", channel)
    os.kill(redis.pid, signal.SIGSTOP)
    with pytest.raises(channel_layer.UNAVAILABLE_ERRORS):
        await layer.group_add("execution.2", channel)
