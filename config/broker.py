"""The Celery broker transport: kombu's Redis transport, made to survive a Redis restart.

kombu 5.7's Redis channel rebuilds its connection pool from its transport's
``client`` (the broker URL's parts) whenever it needs Redis again. When the
worker loses Redis, celery releases the broken connection, and kombu clears
``transport.client`` before the channel's own ``close()`` has restored the
unacknowledged late-ack messages; that restore then reads ``None.hostname``,
the AttributeError is not a connection error, and the worker stops with
"Unrecoverable error". It happens whenever a run finishes while Redis is
down. The channel here keeps the URL's parts it was opened with and uses
them once the transport has forgotten its own, so the restore fails (if Redis
is still down) with a connection error that celery handles by reconnecting.

Selected with ``CELERY_BROKER_TRANSPORT`` in settings; the URL stays redis://.
"""

import threading

from kombu.transport import redis


class Channel(redis.Channel):
    _closed_transport_lock = threading.Lock()

    def __init__(self, connection, *args, **kwargs):
        # Before the base class runs: it already connects (and so reads the parameters).
        self._conninfo = connection.client
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport.client is not None:
            return super()._connparams(asynchronous=asynchronous)
        # The transport is closed and nothing else uses it; lend it the URL's
        # parts only while the base class reads them.
        with self._closed_transport_lock:
            transport.client = self._conninfo
            try:
                return super()._connparams(asynchronous=asynchronous)
            finally:
                transport.client = None


class Transport(redis.Transport):
    Channel = Channel
