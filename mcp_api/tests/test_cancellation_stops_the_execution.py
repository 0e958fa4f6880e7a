"""Cancelling a tool call stops its execution, whichever way the protocol version cancels."""

import json
import threading

import anyio
import httpx
import pytest

from mcp_api.tests.conftest import SLOW
from mcp_api.tools import tool_base_name
from runs.models import AgentExecution
from testsupport import wait_until

pytestmark = pytest.mark.usefixtures("worker")

Status = AgentExecution.Status


def running_execution(agent):
    return wait_until(
        lambda: AgentExecution.objects.filter(agent=agent, status=Status.RUNNING).first(),
        timeout=20,
        description="the call's execution runs",
    )


def status_of(execution):
    execution.refresh_from_db()
    return execution.status


def test_cancelling_a_call_on_protocol_2026_07_28_closes_its_stream_and_stops_the_execution(
    mcp_client, owner, make_agent
):
    agent = make_agent(config=SLOW)
    seen = {}
    # The SDK client negotiates the newest version, where cancelling is closing the call's stream.
    client = mcp_client(owner, mode="2026-07-28")

    async def call_then_cancel():
        async with client as session:
            async with anyio.create_task_group() as group:
                group.start_soon(session.call_tool, tool_base_name(agent), {})
                seen["execution"] = await anyio.to_thread.run_sync(running_execution, agent)
                group.cancel_scope.cancel()

    anyio.run(call_then_cancel)

    wait_until(lambda: status_of(seen["execution"]) == Status.STOPPED, timeout=20, description="stopped")


def test_a_posted_cancellation_stops_the_execution_on_protocol_2025_03_26(api, token_of, owner, outsider, make_agent):
    agent = make_agent(config=SLOW)
    owner_http = raw_client(api, token_of(owner))
    outsider_http = raw_client(api, token_of(outsider))
    for http in (owner_http, outsider_http):
        handshake(http)
    frames = []

    def call():
        request = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                   "params": {"name": tool_base_name(agent), "arguments": {}}}
        with owner_http.stream("POST", "/mcp", json=request) as response:
            assert response.status_code == 200
            frames.extend(json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:"))

    caller = threading.Thread(target=call)
    caller.start()
    execution = running_execution(agent)
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "enough"}}

    # Someone else naming the same request id cancels nothing of Olivia's.
    assert outsider_http.post("/mcp", json=cancel).status_code == 202
    assert status_of(execution) == Status.RUNNING
    assert owner_http.post("/mcp", json=cancel).status_code == 202
    caller.join(timeout=30)

    assert status_of(execution) == Status.STOPPED
    [result] = [frame for frame in frames if frame.get("id") == 7]
    assert result["result"]["isError"] is True
    assert result["result"]["structuredContent"]["status"] == "stopped"


def raw_client(api, token):
    return httpx.Client(
        base_url=api.url,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-03-26",
        },
        trust_env=False,
        timeout=30,
    )


def handshake(http):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}
    response = http.post("/mcp", json=initialize)
    assert response.status_code == 200, response.text
    assert '"protocolVersion":"2025-03-26"' in response.text.replace(" ", "")
    assert http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202


def test_without_a_valid_token_it_is_a_401_with_a_challenge(api, owner):
    anonymous = httpx.post(f"{api.url}/mcp", json={}, trust_env=False, timeout=10)
    wrong = httpx.post(f"{api.url}/mcp", json={}, headers={"Authorization": "Bearer nope"}, trust_env=False, timeout=10)

    for response in (anonymous, wrong):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "not_authenticated"
    assert wrong.json()["detail"] == "Invalid token."
