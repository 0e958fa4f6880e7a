"""A private Redis, and an api and a worker on it, for tests that count Redis's
subscriptions or stop Redis itself (the shared Redis is busy with other tests)."""

import json
import shutil
import tempfile
from contextlib import contextmanager

import websockets
from redis import Redis, RedisError

from testsupport.processes import LOOPBACK, ManagedProcess, free_port
from testsupport.stack import start_api, start_worker


class PrivateRedis(ManagedProcess):
    """``redis-server`` on a free loopback port, keeping nothing on disk."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.url = f"redis://{LOOPBACK}:{self.port}/0"
        self.directory = tempfile.mkdtemp(prefix="redis-")
        super().__init__(
            ["redis-server", "--bind", LOOPBACK, "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self.directory],
            ready_check=self.answers_ping,
            name="redis",
        )

    successor = None

    def restarted(self):
        """A new, empty server on this one's port, stopped first; stopping this one stops it too."""
        self.stop()
        self.successor = PrivateRedis(self.port).start()
        return self.successor

    def stop(self, timeout=5.0):
        code = super().stop(timeout)
        shutil.rmtree(self.directory, ignore_errors=True)
        if self.successor is not None:
            self.successor.stop(timeout)
        return code

    def client(self):
        return Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5, decode_responses=True)

    def answers_ping(self):
        try:
            with self.client() as redis:
                return bool(redis.ping())
        except (RedisError, OSError):
            return False

    def channels(self, pattern="asgi*"):
        """The channel-layer channels someone is subscribed to (``PUBSUB CHANNELS``)."""
        with self.client() as redis:
            return set(redis.pubsub_channels(pattern))

    def patterns(self):
        with self.client() as redis:
            return redis.pubsub_numpat()


@contextmanager
def private_redis():
    redis = PrivateRedis().start()
    try:
        yield redis
    finally:
        redis.stop()


@contextmanager
def api_and_worker(platform_env, redis_url, **env):
    """A worker and an api process on ``redis_url`` (both stopped on exit)."""
    env = {**platform_env, "REDIS_URL": redis_url, **env}
    worker = start_worker(env)
    try:
        api = start_api(env)
        try:
            yield api, worker
        finally:
            api.stop()
    finally:
        worker.stop()


def socket_url(api, path):
    return api.url.replace("http://", "ws://") + path


async def open_socket(api, path, token):
    """A real client socket, authenticated with ``token`` (no Origin: a program, not a browser)."""
    socket = await websockets.connect(socket_url(api, path), max_size=None, open_timeout=30)
    await socket.send(json.dumps({"action": "authenticate", "token": token}))
    hello = json.loads(await socket.recv())
    assert hello["type"] == "connection", hello
    return socket


async def receive_until(socket, predicate, timeout=30):
    """Frames until one matches ``predicate``; returns that one."""
    import asyncio

    async def wait():
        while True:
            message = json.loads(await socket.recv())
            if predicate(message):
                return message

    return await asyncio.wait_for(wait(), timeout)
