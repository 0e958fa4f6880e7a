"""Event streams (SSE) let go of Redis when they end: after their last event, or when
their client leaves in the middle. Real api and worker on a private Redis."""

import asyncio

import httpx
import pytest
from asgiref.sync import sync_to_async
from rest_framework.authtoken.models import Token

from .private_stack import api_and_worker
from .test_socket_shutdown import assert_no_shutdown_faults, wait_for_end, wait_until_released

pytestmark = pytest.mark.django_db(transaction=True)

STREAMS = 20


@pytest.fixture
def stack(platform_env, redis, transactional_db):
    with api_and_worker(platform_env, redis.url) as (api, _worker):
        yield api


async def test_streams_that_end_or_are_left_release_their_channels(stack, redis, owner, agent):
    token = await sync_to_async(lambda: Token.objects.create(user=owner).key)()
    await sync_to_async(type(agent).objects.filter(id=agent.id).update)(
        config={"steps": 1, "tokens": 1500, "delay_ms": 2}
    )
    async with httpx.AsyncClient(
        base_url=stack.url, headers={"Authorization": f"Token {token}"}, trust_env=False, timeout=60
    ) as client:
        response = await client.post(f"/api/agents/{agent.id}/executions/", json={"input_data": {}})
        execution_id = response.json()["id"]

        async def follow(leave_early):
            async with client.stream("GET", f"/api/executions/{execution_id}/stream/") as stream:
                async for line in stream.aiter_lines():
                    if leave_early and line.startswith("data:"):
                        return "left"
            return "ended"

        ends = await asyncio.gather(*(follow(leave_early=index % 2 == 0) for index in range(STREAMS)))

    assert sorted(ends) == ["ended"] * (STREAMS // 2) + ["left"] * (STREAMS // 2)
    await sync_to_async(wait_for_end)(execution_id)
    await wait_until_released(redis, stack)
    assert_no_shutdown_faults(stack)
