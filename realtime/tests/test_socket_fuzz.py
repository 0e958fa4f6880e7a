"""Random frames at the real api's sockets: answered or refused, never a crash (1011).

A seeded generator (so a failure reproduces) builds frames from the
protocol's own vocabulary - every action, every field, with values of every
JSON type, the user's real ids and someone else's, huge strings, deep
nesting, numbers past any column - plus raw text that is not JSON at all and
binary frames. Each frame is followed by a ``ping``: the socket must answer
its ``pong`` (after any ``error`` or other messages), so every frame was
handled and the connection is still usable. Connections that never
authenticate get the same treatment, and must end with 4001 if they end.
"""

import json
import random
import uuid

import pytest
import websockets
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed

from runs.models import AgentExecution

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 20261202
FRAMES_PER_SOCKET = 400
# Larger than any frame the server accepts; the client must still be able to read replies.
CLIENT_MAX_SIZE = 4 * 1024 * 1024

ACTIONS = ["start_agent", "stop_agent", "subscribe", "unsubscribe", "ping", "authenticate"]
FIELDS = ["action", "execution_id", "after_seq", "input_data", "agent_id", "token"]


class FrameMaker:
    def __init__(self, rng, ids):
        self.rng = rng
        self.ids = ids  # the user's real ids and someone else's

    def value(self, depth=0):
        choices = [
            lambda: None, lambda: True, lambda: False,
            lambda: self.rng.choice([0, -1, 1, 2**31, 2**31 - 1, 2**63, -(2**63) - 1, 10**400]),
            lambda: self.rng.random() * 10**self.rng.randint(-5, 300),
            lambda: self.rng.choice(self.ids),
            lambda: str(uuid.UUID(int=self.rng.getrandbits(128))),
            lambda: "".join(chr(self.rng.randint(1, 0x2FFF)) for _ in range(self.rng.randint(0, 40))),
            lambda: "x" * self.rng.choice([0, 1, 1000, 100_000, 300_000]),
            lambda: self.rng.choice(ACTIONS),
        ]
        if depth < 3:
            choices += [
                lambda: [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))],
                lambda: {self.rng.choice(FIELDS + ["x", ""]): self.value(depth + 1) for _ in range(self.rng.randint(0, 4))},
            ]
        return self.rng.choice(choices)()

    def frame(self):
        kind = self.rng.random()
        if kind < 0.08:
            return self.rng.choice([
                "{", "[]", "null", '"text"', "1e999", "NaN", '{"action": "ping"', "\u0000", "",
                "[" * 1000 + "]" * 1000, '{"a":' * 40 + "1" + "}" * 40, " " * 600_000,
            ])
        if kind < 0.12:
            return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 64)))
        frame = {"action": self.rng.choice(ACTIONS) if self.rng.random() < 0.85 else self.value()}
        for field in self.rng.sample(FIELDS[1:], self.rng.randint(0, 4)):
            frame[field] = self.value()
        if self.rng.random() < 0.3 and frame["action"] == "start_agent":
            frame["input_data"] = {"message": "hi"}  # valid starts too, so real executions are created
        return json.dumps(frame, allow_nan=True)


async def exchange(socket, frame):
    """Send ``frame`` then a ping; return the messages up to the pong."""
    await socket.send(frame)
    await socket.send(json.dumps({"action": "ping"}))
    received = []
    while True:
        message = json.loads(await socket.recv())
        if message == {"type": "pong"}:
            return received
        received.append(message)


def ids_for(owner, outsider, make_agent, agent):
    foreign = make_agent(user=outsider, name="Oscar's")
    return [
        str(agent.id), str(foreign.id),
        str(AgentExecution.objects.create(agent=agent).id), str(AgentExecution.objects.create(agent=foreign).id),
    ]


@pytest.mark.parametrize("path", ["agent", "user"])
async def test_random_frames_never_crash_an_authenticated_socket(api, owner, outsider, make_agent, agent, path):
    ids = await sync_to_async(ids_for)(owner, outsider, make_agent, agent)
    token = await sync_to_async(Token.objects.create)(user=owner)
    url = api.url.replace("http://", "ws://") + (f"/ws/agents/{agent.id}/" if path == "agent" else "/ws/")
    maker = FrameMaker(random.Random(f"{SEED}-{path}"), ids)
    codes = {}

    async with websockets.connect(url, max_size=CLIENT_MAX_SIZE, open_timeout=10) as socket:
        await socket.send(json.dumps({"action": "authenticate", "token": token.key}))
        assert json.loads(await socket.recv())["type"] == "connection"
        for _ in range(FRAMES_PER_SOCKET):
            frame = maker.frame()
            try:
                replies = await exchange(socket, frame)
            except ConnectionClosed as closed:
                pytest.fail(f"the socket closed ({closed.rcvd}) after the frame {str(frame)[:200]!r}")
            for reply in replies:
                if reply["type"] == "error":
                    codes[reply["code"]] = codes.get(reply["code"], 0) + 1

    assert codes  # the fuzz did reach the error paths
    print(f"{path} socket: {FRAMES_PER_SOCKET} frames, errors by code: {codes}")


async def test_random_first_frames_never_crash_a_socket_before_it_authenticates(api, agent):
    url = api.url.replace("http://", "ws://") + f"/ws/agents/{agent.id}/"
    maker = FrameMaker(random.Random(f"{SEED}-anonymous"), [str(agent.id)])
    for _ in range(25):
        frame = maker.frame()
        async with websockets.connect(url, max_size=CLIENT_MAX_SIZE, open_timeout=10) as socket:
            await socket.send(frame)
            try:
                while True:
                    message = json.loads(await socket.recv())
                    assert message["type"] == "error"  # a frame that is not JSON at all, say
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 4001, (closed.rcvd, str(frame)[:200])
