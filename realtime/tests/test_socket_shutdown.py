"""Sockets closed while their run streams: each lets go of Redis at once, shuts down
within a bound, and sends nothing after the close.

Against a real api (daphne) and a real worker on a private Redis, so that
``PUBSUB CHANNELS`` counts this test's subscriptions only.
"""

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from runs.models import AgentExecution
from testsupport import wait_until

from .private_stack import api_and_worker, open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

SOCKETS = 60
# Lines daphne logs when a consumer outlives its close (killed after its
# application_close_timeout), or when a consumer sends on a closing connection.
SHUTDOWN_FAULTS = ("took too long to shut down", "closed protocol", "Exception inside application")


@pytest.fixture
def stack(platform_env, redis, transactional_db):
    # Sixty sockets authenticate at once on two shared cores: more time than the suite's one second.
    with api_and_worker(platform_env, redis.url, WS_AUTH_TIMEOUT="10") as (api, _worker):
        yield api


def group_channels(execution_id):
    return {f"asgi__group__execution.{execution_id}"}


async def start_run(api, token, agent, **config):
    await sync_to_async(type(agent).objects.filter(id=agent.id).update)(config=config)
    driver = await open_socket(api, f"/ws/agents/{agent.id}/", token)
    await driver.send(json.dumps({"action": "start_agent", "input_data": {}}))
    created = await receive_until(driver, lambda message: message["type"] == "execution_created")
    await driver.close()
    return created["execution"]["id"]


async def stop_run(api, token, execution_id):
    driver = await open_socket(api, "/ws/", token)
    await driver.send(json.dumps({"action": "stop_agent", "execution_id": execution_id}))
    await driver.close()


async def subscribed_sockets(api, token, agent, execution_id, count):
    """``count`` sockets (agent and user sockets, alternately) each seeing a live event of the run."""

    async def one(index):
        path = f"/ws/agents/{agent.id}/" if index % 2 else "/ws/"
        socket = await open_socket(api, path, token)
        await socket.send(json.dumps({"action": "subscribe", "execution_id": execution_id}))
        await receive_until(socket, lambda message: message.get("execution_id") == execution_id and "seq" in message)
        return socket

    return await asyncio.gather(*(one(index) for index in range(count)))


def wait_for_end(execution_id, timeout=120):
    wait_until(
        lambda: AgentExecution.objects.get(id=execution_id).status in AgentExecution.TERMINAL_STATUSES,
        timeout=timeout, interval=0.2, description="the run ends",
    )


async def wait_until_released(redis, api, timeout=5):
    """Every channel-layer subscription (the sockets' channels, the run's and agent's groups) gone.

    Polls without blocking the loop, on which the clients are still closing.
    """
    deadline = time.monotonic() + timeout
    while redis.channels():
        if time.monotonic() > deadline:
            left = redis.channels()
            raise AssertionError(
                f"{len(left)} channel(s) still subscribed {timeout} s after the close: {sorted(left)[:5]};"
                f" the api's log ends:\n{api.log_text()[-3000:]}"
            )
        await asyncio.sleep(0.1)


def assert_no_shutdown_faults(api):
    log = api.log_text()
    faults = [line for line in log.splitlines() if any(fault in line for fault in SHUTDOWN_FAULTS)]
    assert not faults, "\n".join(faults[:10])


@pytest.fixture
def token(owner):
    return Token.objects.create(user=owner).key


async def test_sockets_closed_mid_stream_release_their_channels_and_groups(stack, redis, token, agent):
    # The worker's Celery listens on patterns of its own; the sockets must add none.
    patterns = redis.patterns()
    # Long enough (40 s) to be streaming still on a busy machine; stopped once checked.
    execution_id = await start_run(stack, token, agent, steps=1, tokens=4000, delay_ms=10)
    sockets = await subscribed_sockets(stack, token, agent, execution_id, SOCKETS)
    assert group_channels(execution_id) <= redis.channels()

    closed_at = time.monotonic()
    # A client that stops reading waits for the server's close frame behind
    # the events it did not read, so its close takes a while: not awaited here.
    closing = [asyncio.ensure_future(socket.close()) for socket in sockets]

    # Released within a bound, while the run is still streaming.
    await wait_until_released(redis, stack)
    released_after = time.monotonic() - closed_at
    status = await sync_to_async(lambda: AgentExecution.objects.get(id=execution_id).status)()
    assert status == "running", "the run ended before the check"
    await stop_run(stack, token, execution_id)
    await sync_to_async(wait_for_end)(execution_id)
    await asyncio.gather(*closing)
    assert redis.channels() == set() and redis.patterns() == patterns
    assert released_after < 5
    assert_no_shutdown_faults(stack)


async def test_no_consumer_outlives_its_close_under_an_event_storm(stack, redis, token, agent):
    # Thousands of events as fast as the worker stores them. Half the sockets
    # close with a backlog of live messages, half right after subscribing from
    # the start, while their replay waits its turn for the database. Those
    # clients stop reading before they close, so the server hears of the
    # close only on its next send, or when the client gives up on its closing
    # handshake and drops the connection.
    patterns = redis.patterns()
    execution_id = await start_run(stack, token, agent, steps=1, tokens=5000, delay_ms=0)
    following = await subscribed_sockets(stack, token, agent, execution_id, SOCKETS // 2)
    replaying = [await open_socket(stack, "/ws/", token) for _ in range(SOCKETS // 2)]
    for socket in replaying:
        await socket.send(json.dumps({"action": "subscribe", "execution_id": execution_id, "after_seq": 0}))
    await asyncio.gather(*(socket.close() for socket in following + replaying))
    await sync_to_async(wait_for_end)(execution_id)

    await wait_until_released(redis, stack)
    # daphne looks once a second for consumers that outlived their disconnect, and kills them after 10 s.
    await asyncio.sleep(1.5)
    assert redis.channels() == set() and redis.patterns() == patterns
    assert_no_shutdown_faults(stack)


async def test_a_stop_sent_just_before_the_close_still_stops_the_run(stack, redis, token, agent):
    execution_id = await start_run(stack, token, agent, steps=1, tokens=5000, delay_ms=2)
    await sync_to_async(wait_until)(
        lambda: AgentExecution.objects.get(id=execution_id).status == "running", timeout=30, interval=0.1
    )
    socket = await open_socket(stack, "/ws/", token)
    # A replay in progress when the stop and the close arrive.
    await socket.send(json.dumps({"action": "subscribe", "execution_id": execution_id, "after_seq": 0}))
    await socket.send(json.dumps({"action": "stop_agent", "execution_id": execution_id}))
    await socket.close()

    await sync_to_async(wait_for_end)(execution_id, timeout=30)
    assert (await sync_to_async(AgentExecution.objects.get)(id=execution_id)).status == "stopped"
    await wait_until_released(redis, stack)
    assert_no_shutdown_faults(stack)
