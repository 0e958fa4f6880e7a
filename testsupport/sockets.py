"""Test helpers: a WebSocket client for the AgentConsumer and waits on executions."""

import asyncio

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from runs.models import AgentExecution
from testsupport import wait_until

TERMINAL_TYPES = {"execution_completed", "execution_error", "execution_stopped"}
ORIGIN = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class AgentSocket:
    """A client of /ws/agents/{id}/ (or, with ``agent_id=None``, the user socket /ws/) running the
    real ASGI application in-process."""

    def __init__(self, communicator):
        self.communicator = communicator

    @classmethod
    async def open(cls, agent_id, user=None, expect_connected=True):
        from config.asgi import application

        headers = list(ORIGIN)
        if user is not None:
            cookie = await sync_to_async(session_cookie)(user)
            headers.append((b"cookie", f"sessionid={cookie}".encode()))
        path = "/ws/" if agent_id is None else f"/ws/agents/{agent_id}/"
        socket = cls(WebsocketCommunicator(application, path, headers=headers))
        connected, _ = await socket.communicator.connect(timeout=5)
        assert connected
        if user is not None and expect_connected:
            hello = await socket.receive()
            assert hello["type"] == "connection" and hello["status"] == "connected"
            if agent_id is not None:
                assert hello["agent_id"] == str(agent_id)
        return socket

    async def send(self, frame):
        await self.communicator.send_json_to(frame)

    async def send_text(self, text):
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout=5):
        return await self.communicator.receive_json_from(timeout=timeout)

    async def receive_close_code(self, timeout=5):
        output = await self.communicator.receive_output(timeout=timeout)
        assert output["type"] == "websocket.close", output
        return output.get("code")

    async def nothing_more(self, wait=0.3):
        return await self.communicator.receive_nothing(timeout=wait)

    async def events_until_terminal(self, execution_id, timeout=30, stop_after=None):
        """Every event message of ``execution_id`` until a terminal one (other messages skipped).

        With ``stop_after`` = n it returns after n events instead.
        """
        received = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.receive(timeout=max(0.1, deadline - loop.time()))
            if message.get("execution_id") != str(execution_id) or "seq" not in message:
                continue
            received.append(message)
            if message["type"] in TERMINAL_TYPES or (stop_after and len(received) >= stop_after):
                return received

    async def close(self):
        await self.communicator.disconnect()


def wait_for_status(execution_id, statuses, timeout=30):
    statuses = {statuses} if isinstance(statuses, str) else set(statuses)

    def reached():
        execution = AgentExecution.objects.get(id=execution_id)
        return execution if execution.status in statuses else None

    return wait_until(reached, timeout=timeout, interval=0.05, description=f"execution reaches {statuses}")


def assert_complete_sequence(events, execution_id):
    """Seqs run 1..N exactly once, in order, all of one execution."""
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert {event["execution_id"] for event in events} == {str(execution_id)}
