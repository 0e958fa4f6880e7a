"""Benchmark clients: REST calls with a token, and WebSocket watchers of executions."""

import asyncio
import json
import time

import httpx
import websockets
from httpx_sse import aconnect_sse

TERMINAL = {"execution_completed", "execution_error", "execution_stopped"}


class Api:
    def __init__(self, base_url, token):
        self.base_url = base_url
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Token {token}"},
            timeout=60,
            trust_env=False,
            limits=httpx.Limits(max_connections=200),
        )
        self.token = token

    async def start(self, agent_id, input_data=None):
        response = await self.http.post(f"/api/agents/{agent_id}/executions/", json={"input_data": input_data or {}})
        response.raise_for_status()
        return response.json()["id"]

    async def close(self):
        await self.http.aclose()


class Watcher:
    """One socket on an agent, recording every event it receives and when."""

    def __init__(self, api, agent_id):
        self.api, self.agent_id = api, agent_id
        self.received = {}  # execution id -> [(seq, type, receive time, message)]
        self.finished = {}  # execution id -> asyncio.Event
        self._socket = None
        self._task = None
        self._created = asyncio.Queue()

    async def open(self):
        url = self.api.base_url.replace("http://", "ws://") + f"/ws/agents/{self.agent_id}/"
        self._socket = await websockets.connect(url, max_size=None, max_queue=None, open_timeout=30)
        await self._socket.send(json.dumps({"action": "authenticate", "token": self.api.token}))
        hello = json.loads(await self._socket.recv())
        assert hello["type"] == "connection", hello
        self._task = asyncio.create_task(self._read())
        return self

    def _watch(self, execution_id):
        self.received.setdefault(execution_id, [])
        self.finished.setdefault(execution_id, asyncio.Event())

    async def subscribe(self, execution_id, after_seq=0):
        self._watch(execution_id)
        await self._socket.send(
            json.dumps({"action": "subscribe", "execution_id": execution_id, "after_seq": after_seq})
        )

    async def start_agent(self, input_data=None):
        """Start an execution over the socket, which subscribes to it at once; returns its id."""
        await self._socket.send(json.dumps({"action": "start_agent", "input_data": input_data or {}}))
        return await asyncio.wait_for(self._created.get(), 30)

    async def wait(self, execution_id, timeout):
        await asyncio.wait_for(self.finished[execution_id].wait(), timeout)

    async def _read(self):
        async for frame in self._socket:
            now = time.time()
            message = json.loads(frame)
            if message["type"] == "execution_created":
                execution_id = message["execution"]["id"]
                self._watch(execution_id)
                self._created.put_nowait(execution_id)
                continue
            execution_id = message.get("execution_id")
            if "seq" not in message or execution_id not in self.received:
                continue
            self.received[execution_id].append((message["seq"], message["type"], now, message))
            if message["type"] in TERMINAL:
                self.finished[execution_id].set()

    async def close(self):
        if self._task:
            self._task.cancel()
        if self._socket:
            await self._socket.close()


def exactly_once_in_order(records):
    return [record[0] for record in records] == list(range(1, len(records) + 1))


class StreamWatcher:
    """One server-sent event stream of an execution, recording its events and when."""

    def __init__(self, http, execution_id):
        self.http, self.execution_id = http, execution_id
        self.received = []  # (seq, type, receive time, message)
        self.opened = asyncio.Event()
        self.finished = asyncio.Event()
        self._task = None

    def open(self):
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self):
        async with aconnect_sse(self.http, "GET", f"/api/executions/{self.execution_id}/stream/") as source:
            source.response.raise_for_status()
            self.opened.set()
            async for sse in source.aiter_sse():
                message = json.loads(sse.data)
                self.received.append((message["seq"], message["type"], time.time(), message))
        self.finished.set()

    async def close(self):
        if self._task and not self._task.done():
            self._task.cancel()
