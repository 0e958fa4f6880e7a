"""A private Redis, and an api and a worker on it, for tests that count Redis's
subscriptions or stop Redis itself (the shared Redis is busy with other tests)."""

import json
from contextlib import contextmanager

import websockets

from testsupport.redis_server import RedisServer
from testsupport.stack import start_api, start_worker


@contextmanager
def private_redis():
    redis = RedisServer().start()
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
