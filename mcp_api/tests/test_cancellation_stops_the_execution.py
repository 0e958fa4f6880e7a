"""Cancelling a tool call stops its execution promptly, on every protocol version the SDK speaks.

Two ways per version: the protocol's own cancel (a posted
``notifications/cancelled`` up to 2025-11-25; closing the call's stream at
2026-07-28, which is what the SDK client does when its caller gives up with
the session still open) and the client leaving altogether. The SDK client
drives the versions it can be told to speak (2025-11-25 in legacy mode,
2026-07-28); older ones are spoken as raw JSON-RPC over HTTP.
"""

import json
import threading
import time

import anyio
import httpx
import pytest
from django.conf import settings
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION, MODERN_PROTOCOL_VERSIONS
from redis import Redis

from mcp_api import services
from mcp_api.tools import tool_base_name
from runs import services as runs_services
from runs.models import AgentExecution
from testsupport import wait_until

pytestmark = pytest.mark.usefixtures("worker")

Status = AgentExecution.Status

VERSIONS = (*HANDSHAKE_PROTOCOL_VERSIONS, *MODERN_PROTOCOL_VERSIONS)
# The SDK client offers only its newest handshake version, and pins a modern one directly.
SDK_MODES = {LATEST_HANDSHAKE_VERSION: "legacy", **{version: version for version in MODERN_PROTOCOL_VERSIONS}}
# 300 tokens 100 ms apart: half a minute, so a run that is stopped cannot pass for one that finished.
LONG_RUN = {"steps": 50, "tokens": 300, "delay_ms": 100}
# "Promptly": far under the ~10 s after which daphne gives up on an abandoned request.
STOP_WITHIN = 3.0


def running_execution(agent):
    return wait_until(
        lambda: AgentExecution.objects.filter(agent=agent, status=Status.RUNNING).first(),
        timeout=20,
        description="the call's execution runs",
    )


def status_of(execution):
    execution.refresh_from_db()
    return execution.status


def stop_requested(execution):
    execution.refresh_from_db()
    return execution.stop_requested_at is not None


def seconds_to_stop(execution, since):
    wait_until(
        lambda: status_of(execution) == Status.STOPPED,
        timeout=STOP_WITHIN,
        description=f"the execution stopped within {STOP_WITHIN} s",
    )
    return time.monotonic() - since


def request_id_of(execution):
    """The request id of the call that runs ``execution``, as the api remembered it.

    The worker may claim the run before the api has stored the execution's id under the call.
    """

    def keys():
        with Redis.from_url(settings.REDIS_URL) as redis:
            return [key for key in redis.scan_iter(f"mcp:call:{execution.agent.owner_id}:*")
                    if (redis.get(key) or b"").endswith(f":{execution.id}".encode())]

    [key] = wait_until(keys, timeout=5, description="the call is remembered with its execution")
    return json.loads(key.decode().rsplit(":", 1)[1])


@pytest.mark.parametrize("way", ["cancel", "leave"])
@pytest.mark.parametrize("version", VERSIONS)
def test_cancelling_a_call_stops_its_execution_promptly_and_nobody_else_can(
    api, token_of, mcp_client, owner, outsider, make_agent, version, way, request
):
    agent = make_agent(config=LONG_RUN)
    outsider_http = raw_client(api, token_of(outsider), version)
    if version in SDK_MODES:
        elapsed = anyio.run(cancel_with_the_sdk, mcp_client(owner, mode=SDK_MODES[version]), agent, version, way,
                            lambda request_id: cancel_as(outsider_http, version, request_id))
    else:
        owner_http = raw_client(api, token_of(owner), version)
        elapsed = cancel_over_json_rpc(owner_http, agent, version, way,
                                       lambda request_id: cancel_as(outsider_http, version, request_id))
    request.node.user_properties.append(("seconds_to_stop", round(elapsed, 3)))


def cancel_as(http, version, request_id):
    """Someone else naming the call's request id: nothing of Olivia's stops."""
    response = http.post("/mcp", json=cancellation(request_id))
    if version in HANDSHAKE_PROTOCOL_VERSIONS:
        assert response.status_code == 202


async def cancel_with_the_sdk(client, agent, version, way, outsider_cancels):
    async with anyio.create_task_group() as outer, client as session:
        assert session.protocol_version == version
        async with anyio.create_task_group() as call:
            call.start_soon(session.call_tool, tool_base_name(agent), {})
            execution = await anyio.to_thread.run_sync(running_execution, agent)
            await anyio.to_thread.run_sync(outsider_cancels, await anyio.to_thread.run_sync(request_id_of, execution))
            assert not await anyio.to_thread.run_sync(stop_requested, execution)
            since = time.monotonic()
            if way == "leave":
                outer.cancel_scope.cancel()  # the call, and the client with it
            else:
                call.cancel_scope.cancel()  # the call only; the session stays open
        return await anyio.to_thread.run_sync(seconds_to_stop, execution, since)
    # Only after "leave": the client is gone, and the run stops all the same.
    return await anyio.to_thread.run_sync(seconds_to_stop, execution, since)


def cancel_over_json_rpc(http, agent, version, way, outsider_cancels):
    handshake(http, version)
    request = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
               "params": {"name": tool_base_name(agent), "arguments": {}}}
    frames = []

    async def call():
        async with async_copy(http) as client, client.stream("POST", "/mcp", json=request) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    frames.append(json.loads(line[5:]))

    async def call_then_cancel():
        async with anyio.create_task_group() as group:
            group.start_soon(call)
            execution = await anyio.to_thread.run_sync(running_execution, agent)
            assert await anyio.to_thread.run_sync(request_id_of, execution) == 7
            await anyio.to_thread.run_sync(outsider_cancels, 7)
            assert not await anyio.to_thread.run_sync(stop_requested, execution)
            since = time.monotonic()
            if way == "leave":
                group.cancel_scope.cancel()  # closes the call's stream
            else:
                async with async_copy(http) as client:
                    assert (await client.post("/mcp", json=cancellation(7))).status_code == 202
                # The stream stays open: the call answers once its run has stopped.
                return await anyio.to_thread.run_sync(seconds_to_stop, execution, since)
        return await anyio.to_thread.run_sync(seconds_to_stop, execution, since)

    elapsed = anyio.run(call_then_cancel)
    if way == "cancel":
        # The call saw its run stop and answered so.
        [result] = [frame for frame in frames if frame.get("id") == 7]
        assert result["result"]["isError"] is True
        assert result["result"]["structuredContent"]["status"] == "stopped"
    return elapsed


def cancellation(request_id):
    return {"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": request_id, "reason": "enough"}}


def raw_client(api, token, version):
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    if version != "2024-11-05":  # the header came with 2025-03-26
        headers["MCP-Protocol-Version"] = version
    return httpx.Client(base_url=api.url, headers=headers, trust_env=False, timeout=30)


def async_copy(http):
    return httpx.AsyncClient(base_url=http.base_url, headers=http.headers, trust_env=False, timeout=30)


def handshake(http, version):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}
    response = http.post("/mcp", json=initialize)
    assert response.status_code == 200, response.text
    assert f'"protocolVersion":"{version}"' in response.text.replace(" ", "")
    assert http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202


# --- The window between a call's POST and its execution ------------------------------------


def test_a_cancellation_that_comes_before_the_execution_exists_stops_it_as_it_starts(owner, make_agent):
    agent = make_agent(config=LONG_RUN)
    key = services.CallKey(owner.id, None, 7)

    async def call_cancelled_early():
        await services.open_call(key)  # the api has read the call's POST...
        assert await services.cancel_request(owner, None, 7)  # ...and its cancellation, before anything runs
        try:
            return await services.call_tool(owner, tool_base_name(agent), {}, key, no_progress)
        finally:
            await services.close_call(key, abandoned=False)

    outcome = anyio.run(call_cancelled_early)

    assert outcome.structured["status"] == "stopped"
    assert AgentExecution.objects.get(id=outcome.structured["execution_id"]).status == Status.STOPPED


def test_a_call_cancelled_while_its_execution_is_being_created_stops_that_execution(
    owner, make_agent, monkeypatch
):
    agent = make_agent(config=LONG_RUN)
    created, cancelled = threading.Event(), threading.Event()
    start_execution = runs_services.start_execution

    def start_then_wait(agent, input_data):
        # The execution exists, and its start has not returned when the call is cancelled.
        execution = start_execution(agent, input_data)
        created.set()
        assert cancelled.wait(timeout=20)
        return execution

    monkeypatch.setattr(runs_services, "start_execution", start_then_wait)

    async def cancel_mid_start():
        async with anyio.create_task_group() as group:
            group.start_soon(services.call_tool, owner, tool_base_name(agent), {}, None, no_progress)
            assert await anyio.to_thread.run_sync(created.wait, 20)
            group.cancel_scope.cancel()
            cancelled.set()

    anyio.run(cancel_mid_start)

    execution = AgentExecution.objects.get(agent=agent)
    wait_until(lambda: status_of(execution) == Status.STOPPED, timeout=STOP_WITHIN, description="stopped")


async def no_progress(value, total, message):
    pass


def test_without_a_valid_token_it_is_a_401_with_a_challenge(api, owner):
    anonymous = httpx.post(f"{api.url}/mcp", json={}, trust_env=False, timeout=10)
    wrong = httpx.post(f"{api.url}/mcp", json={}, headers={"Authorization": "Bearer nope"}, trust_env=False, timeout=10)

    for response in (anonymous, wrong):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "not_authenticated"
    assert wrong.json()["detail"] == "Invalid token."
