"""The channel layers: channels-redis's pub/sub layer with many group sends in one
round trip, its core layer with a read timeout that outlasts its blocking pop,
and ``release_channel`` for a consumer that has ended.

Why pub/sub: a group send is one PUBLISH, several times cheaper than the core
layer's per-member bookkeeping. Pub/sub delivers only to sockets listening at
that moment; nothing is lost for clients, because every event is stored
before it is broadcast and the consumer replays gaps from the database.

``group_send_many`` pipelines the PUBLISHes of a whole batch, which is what
lets one worker process broadcast tens of thousands of events a second. It
and ``forget_channel`` rely on internals of channels-redis 4.3 (group channel
naming, the per-loop layer's channel and group maps, the shard connection);
the integration tests exercise them end to end
(realtime/tests/test_socket_shutdown.py counts Redis's subscriptions).
"""

import asyncio
import logging
import uuid
from collections import defaultdict

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What a channel layer raises while Redis is down, unreachable or too slow to
# answer: builtin ConnectionError and TimeoutError are OSErrors, redis-py's own
# are not.
UNAVAILABLE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class BatchingPubSubChannelLayer(RedisPubSubChannelLayer):
    async def group_send_many(self, sends):
        """Send each (group, message) pair, in order, with one pipeline per Redis shard."""
        layer = self._get_layer()
        by_shard = defaultdict(list)
        for group, message in sends:
            channel = layer._get_group_channel_name(group)
            by_shard[layer._get_shard(channel)].append((channel, self.serialize(message)))
        for shard, publishes in by_shard.items():
            async with shard._lock:
                shard._ensure_redis()
                pipeline = shard._redis.pipeline(transaction=False)
                for channel, payload in publishes:
                    pipeline.publish(channel, payload)
                await pipeline.execute()

    async def group_add(self, group, channel):
        """Join ``group``, returning once Redis has the subscription.

        channels-redis returns as soon as SUBSCRIBE is written. A feed that
        then reads the database could miss an event stored just after its
        read and published before Redis took the SUBSCRIBE: neither the
        replay nor the live stream would have it, and for a run's last event
        nothing would come after to show the gap. Redis answers a connection's
        commands in order, so the answer to a PING sent after the SUBSCRIBE on
        the same connection means the subscription is in effect.
        """
        layer = self._get_layer()
        await layer.group_add(group, channel)
        shard = layer._get_shard(layer._get_group_channel_name(group))
        token = uuid.uuid4().hex
        answered = asyncio.get_running_loop().create_future()
        waiting = _pongs_awaited(shard)
        waiting[token.encode()] = answered
        try:
            async with shard._lock:
                await shard._pubsub.ping(token)
            await asyncio.wait_for(answered, SUBSCRIBE_CONFIRM_TIMEOUT)
        finally:
            waiting.pop(token.encode(), None)

    async def forget_channel(self, channel):
        """Drop a channel whose consumer has ended: its queue, any group it is still in, its subscription.

        channels has no call for the end of a consumer; this layer unsubscribes
        a channel only when a ``receive`` waiting on it is cancelled. A consumer
        that ended while a message was waiting for it (its last ``receive`` had
        returned) was never cancelled there: its channel stayed subscribed, and
        its queue kept growing with every message of its groups.
        """
        layer = self._get_layer()
        layer.channels.pop(channel, None)
        for group_channel, members in list(layer.groups.items()):
            if channel in members:
                members.discard(channel)
                if not members:
                    del layer.groups[group_channel]
                    await layer._get_shard(group_channel).unsubscribe(group_channel)
        await layer._get_shard(channel).unsubscribe(channel)


# A subscription Redis has not confirmed by then counts as Redis being unavailable.
SUBSCRIBE_CONFIRM_TIMEOUT = 5


def _pongs_awaited(shard):
    """The futures waiting for PING answers on a shard's pub/sub connection, by token.

    channels-redis's receive loop hands every message, answers to PING
    included, to the shard's ``_receive_message``, which drops those that
    name no channel; this wraps it, once per shard, to resolve them instead.
    """
    waiting = getattr(shard, "_pongs_awaited", None)
    if waiting is None:
        waiting = shard._pongs_awaited = {}
        deliver = shard._receive_message

        def receive(message):
            if message is not None and message.get("type") == "pong":
                answered = waiting.pop(message["data"], None)
                if answered is not None and not answered.done():
                    answered.set_result(None)
                return
            deliver(message)

        shard._receive_message = receive
    return waiting


# How much longer than its blocking pop the core layer's connections wait for
# a reply; connecting keeps redis-py's default timeout.
BLOCKING_READ_MARGIN = 5
CONNECT_TIMEOUT = 5


class CoreChannelLayer(RedisChannelLayer):
    """channels-redis's default layer, for comparison in the benchmark.

    Its receive loop blocks in ``BZPOPMIN`` for ``brpop_timeout`` (5 s), and
    redis-py 8 gives every connection a 5 s socket timeout: an idle
    consumer's pop gave up on the client just as Redis was about to answer
    "nothing yet", and the ``TimeoutError`` ended the consumer. Its
    connections get a read timeout past the pop (a host's own
    ``socket_timeout`` wins).
    """

    def __init__(self, hosts=None, **kwargs):
        super().__init__(hosts, **kwargs)
        self.hosts = [
            {
                "socket_timeout": self.brpop_timeout + BLOCKING_READ_MARGIN,
                "socket_connect_timeout": CONNECT_TIMEOUT,
                **host,
            }
            for host in self.hosts
        ]

    async def forget_channel(self, channel):
        """Drop what this process buffered for a channel whose consumer has ended."""
        self.receive_buffer.pop(channel, None)


async def leave_groups(layer, channel, groups):
    """Take ``channel`` out of each of ``groups``, going on past a failure (Redis may be
    down) so that one refusal does not keep the other memberships; each is logged."""
    left = True
    for group in groups:
        try:
            await layer.group_discard(group, channel)
        except Exception:
            left = False
            logger.warning("Could not leave group %s", group, exc_info=True)
    return left


async def release_channel(layer, channel, groups):
    """Leave ``groups``, then let the layer forget ``channel``: its consumer has ended.

    Returns whether everything was let go of.
    """
    released = await leave_groups(layer, channel, groups)
    forget = getattr(layer, "forget_channel", None)
    if forget is not None:
        try:
            await forget(channel)
        except Exception:
            released = False
            logger.warning("Could not release channel %s", channel, exc_info=True)
    return released
