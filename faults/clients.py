"""Clients of the api processes as a real program would be: REST with a token, and sockets that reconnect.

A ``Follower`` is one user socket (``/ws/``) following some executions. It
keeps every event frame it receives, in order and as received (it drops
nothing, so a duplicate or a gap sent by the server stays visible to the
checker), and when its connection is lost (the api died, or ``drop()``
cut it) it connects again, to the next api in its list, and sends
``subscribe`` with the last seq it saw for every execution not yet ended,
as the dashboard does.
"""

import asyncio
import json
import random
import time

import httpx
import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from contract.events import TERMINAL_TYPES


class Rest:
    """REST calls with a token, spread over the given api processes (round robin)."""

    def __init__(self, base_urls, token, connections=100):
        self.base_urls = list(base_urls)
        self._next = 0
        self.http = httpx.AsyncClient(
            headers={"Authorization": f"Token {token}"},
            timeout=60,
            trust_env=False,
            limits=httpx.Limits(max_connections=connections),
        )

    def _url(self, path, api=None):
        if api is None:
            api = self._next % len(self.base_urls)
            self._next += 1
        return self.base_urls[api] + path

    async def start(self, agent_id, input_data=None, api=None):
        """POST a start; returns the response (the caller checks its status)."""
        return await self.http.post(
            self._url(f"/api/agents/{agent_id}/executions/", api), json={"input_data": input_data or {}}
        )

    async def stop(self, execution_id, api=None):
        return await self.http.post(self._url(f"/api/executions/{execution_id}/stop/", api))

    async def close(self):
        await self.http.aclose()


class Follower:
    """A user socket following executions through drops and api restarts.

    ``received[id]`` lists (seq, type) of every event frame of that
    execution in arrival order; ``errors`` the error frames. ``run()``
    returns once ``seal()`` said no more executions will be followed and
    every followed one sent its terminal event.
    """

    def __init__(self, ws_urls, token, name=""):
        self.ws_urls = list(ws_urls)
        self.token = token
        self.name = name
        self.received = {}
        self.ended = {}
        self.errors = []
        self.connections = 0  # connections made (the first one included)
        self.drops = 0  # connections cut by drop()
        self.lost = 0  # connections lost otherwise (an api died)
        self.sent_stops = 0
        self._api = random.randrange(len(self.ws_urls))
        self._socket = None
        self._subscribed = set()
        self._sealed = False
        self._connected = asyncio.Event()

    def follow(self, execution_id):
        execution_id = str(execution_id)
        if execution_id in self.received:
            return
        self.received[execution_id] = []
        self.ended[execution_id] = False
        if self._socket is not None:
            asyncio.ensure_future(self._subscribe(self._socket, execution_id))

    def seal(self):
        """No more executions to follow: ``run()`` returns once those followed ended."""
        self._sealed = True
        if self._done() and self._socket is not None:
            asyncio.ensure_future(self._socket.close())  # wakes the reader

    def last_seq(self, execution_id):
        seqs = [seq for seq, _ in self.received[execution_id]]
        return max(seqs, default=0)

    @property
    def connected(self):
        return self._socket is not None

    async def wait_connected(self, timeout=30):
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def run(self, timeout):
        """Follow until sealed and every followed execution ended (or ``timeout`` s passed: then return anyway)."""
        deadline = time.monotonic() + timeout
        backoff = 0.05
        while not self._finished() and time.monotonic() < deadline:
            try:
                socket = await self._connect(deadline)
            except (TimeoutError, OSError, InvalidHandshake, ConnectionClosed):
                await asyncio.sleep(backoff * (1 + random.random()))
                backoff = min(backoff * 2, 1.0)
                self._api = (self._api + 1) % len(self.ws_urls)
                continue
            backoff = 0.05
            try:
                await self._read(socket, deadline)
            except ConnectionClosed:
                pass
            finally:
                self._socket = None
                self._connected.clear()
                self._subscribed.clear()
            if not self._finished():
                if self._dropping:
                    self.drops += 1
                else:
                    self.lost += 1
                # Reconnect elsewhere, as a client behind a load balancer would.
                self._api = (self._api + 1) % len(self.ws_urls)
        await self.close()

    _dropping = False

    async def drop(self):
        """Cut the connection as a network failure would (no close handshake)."""
        socket = self._socket
        if socket is not None:
            self._dropping = True
            socket.transport.abort()

    async def stop(self, execution_id):
        """Send ``stop_agent`` on the current connection; False when not connected."""
        socket = self._socket
        if socket is None:
            return False
        try:
            await socket.send(json.dumps({"action": "stop_agent", "execution_id": str(execution_id)}))
        except ConnectionClosed:
            return False
        self.sent_stops += 1
        return True

    async def close(self):
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close()

    # -- internals ---------------------------------------------------------------

    def _done(self):
        return all(self.ended.values())

    def _finished(self):
        return self._sealed and self._done()

    async def _connect(self, deadline):
        url = self.ws_urls[self._api] + "/ws/"
        timeout = max(0.5, min(10.0, deadline - time.monotonic()))
        socket = await websockets.connect(url, max_size=None, open_timeout=timeout, ping_interval=None)
        try:
            await socket.send(json.dumps({"action": "authenticate", "token": self.token}))
            hello = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        except BaseException:
            socket.transport.abort()
            raise
        if hello.get("type") != "connection":
            socket.transport.abort()
            raise ConnectionRefusedError(f"unexpected greeting {hello}")
        self.connections += 1
        self._dropping = False
        self._socket = socket
        self._connected.set()
        for execution_id, ended in list(self.ended.items()):
            if not ended:
                await self._subscribe(socket, execution_id)
        return socket

    async def _subscribe(self, socket, execution_id):
        # One subscription per execution and connection: a second would replay again.
        if execution_id in self._subscribed or self.ended[execution_id]:
            return
        self._subscribed.add(execution_id)
        frame = {"action": "subscribe", "execution_id": execution_id, "after_seq": self.last_seq(execution_id)}
        try:
            await socket.send(json.dumps(frame))
        except ConnectionClosed:
            pass  # the reader sees it too and reconnects

    async def _read(self, socket, deadline):
        while not self._finished():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                frame = await asyncio.wait_for(socket.recv(), remaining)
            except TimeoutError:
                return
            message = json.loads(frame)
            if message.get("type") == "error":
                self.errors.append(message)
                continue
            execution_id = message.get("execution_id")
            if "seq" not in message or execution_id not in self.received:
                continue
            self.received[execution_id].append((message["seq"], message["type"]))
            if message["type"] in TERMINAL_TYPES:
                self.ended[execution_id] = True


async def run_followers(followers, timeout, at_once=25):
    """Run followers concurrently, connecting them a few at a time (daphne's listen backlog is short)."""
    tasks = []
    for index, follower in enumerate(followers):
        tasks.append(asyncio.create_task(follower.run(timeout)))
        if index % at_once == at_once - 1:
            await asyncio.gather(*(f.wait_connected() for f in followers[index + 1 - at_once : index + 1]))
    return tasks
