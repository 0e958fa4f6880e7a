"""Sockets while Redis is down: each action that needs Redis is answered with an
``unavailable`` error frame and the socket stays open; once Redis is back, the
client subscribes and follows what it started.

A real api and worker on a private Redis, which the test stops and starts again.
"""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from runs.models import AgentExecution
from testsupport import wait_until

from .private_stack import api_and_worker, open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stack(platform_env, redis):
    with api_and_worker(platform_env, redis.url) as (api, _worker):
        yield api


def frame(**fields):
    return json.dumps(fields)


async def still_open(socket):
    await socket.send(frame(action="ping"))
    assert await receive_until(socket, lambda message: message["type"] == "pong", timeout=10) == {"type": "pong"}


async def next_error(socket):
    return await receive_until(socket, lambda message: message["type"] == "error", timeout=15)


async def test_socket_actions_answer_unavailable_while_redis_is_down(stack, redis, owner, agent):
    token = await sync_to_async(lambda: Token.objects.create(user=owner).key)()
    pending = await sync_to_async(AgentExecution.objects.create)(agent=agent, input_data={})
    agent_socket = await open_socket(stack, f"/ws/agents/{agent.id}/", token)
    user_socket = await open_socket(stack, "/ws/", token)

    redis.stop()

    # start_agent: the execution is created; following it live is what fails.
    await agent_socket.send(frame(action="start_agent", input_data={"n": 1}))
    created = await receive_until(agent_socket, lambda message: message["type"] == "execution_created", timeout=15)
    execution_id = created["execution"]["id"]
    error = await next_error(agent_socket)
    assert error["code"] == "unavailable" and error["execution_id"] == execution_id
    assert execution_id in error["message"] and "created" in error["message"]
    await still_open(agent_socket)

    # subscribe, on either socket.
    for socket in (agent_socket, user_socket):
        await socket.send(frame(action="subscribe", execution_id=str(pending.id)))
        error = await next_error(socket)
        assert (error["code"], error["execution_id"]) == ("unavailable", str(pending.id))
        await still_open(socket)

    # stop_agent needs only the database: done, and the socket stays open.
    await user_socket.send(frame(action="stop_agent", execution_id=str(pending.id)))
    await still_open(user_socket)
    assert (await sync_to_async(AgentExecution.objects.get)(id=pending.id)).status == "stopped"

    # Back up: the client subscribes to what it started and follows it to the end.
    await sync_to_async(redis.restarted)()
    seqs = []

    def collect(message):
        if message.get("execution_id") == execution_id and "seq" in message:
            seqs.append(message["seq"])
            return message["type"] == "execution_completed"
        return False

    async def subscribed():
        # The api reconnects to Redis on its own schedule: until then, unavailable.
        while True:
            await agent_socket.send(frame(action="subscribe", execution_id=execution_id))
            answer = await receive_until(
                agent_socket, lambda message: message["type"] == "error" or collect(message), timeout=60
            )
            if answer["type"] != "error":
                return answer
            assert answer["code"] == "unavailable"
            await asyncio.sleep(0.5)

    last = await asyncio.wait_for(subscribed(), 90)
    assert last["type"] == "execution_completed"
    assert seqs == list(range(1, len(seqs) + 1))
    for socket in (agent_socket, user_socket):
        await socket.close()
    await sync_to_async(wait_until)(
        lambda: AgentExecution.objects.get(id=execution_id).status == "completed", timeout=5
    )
    assert " 1011" not in stack.log_text()
