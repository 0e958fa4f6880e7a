"""The channel layers: channels-redis's pub/sub layer, plus many group sends in one
round trip, and its core layer with a read timeout that outlasts its blocking pop.

Why pub/sub: a group send is one PUBLISH, several times cheaper than the core
layer's per-member bookkeeping. Pub/sub delivers only to sockets listening at
that moment; nothing is lost for clients, because every event is stored
before it is broadcast and the consumer replays gaps from the database.

``group_send_many`` pipelines the PUBLISHes of a whole batch, which is what
lets one worker process broadcast tens of thousands of events a second. It
relies on two internals of channels-redis 4.3 (group channel naming and the
shard connection); the integration tests exercise it end to end.
"""

from collections import defaultdict

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer


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
