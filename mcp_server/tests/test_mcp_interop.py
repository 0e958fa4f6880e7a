"""The server speaks MCP: the official SDK client runs an agent and searches knowledge over /mcp."""

import base64
import json

import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from mcp_server.tests.conftest import AGENT_TOKEN, loopback_client


def mcp_client(server, token: str | None = AGENT_TOKEN) -> tuple[httpx2.AsyncClient, Client]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"} if token else None)
    return http, Client(streamable_http_client(f"{server.url}/mcp", http_client=http))


async def test_it_lists_its_tools(guarded_mcp_server):
    http, client = mcp_client(guarded_mcp_server)
    async with http, client:
        listing = await client.list_tools()

    tools = {tool.name: tool for tool in listing.tools}
    assert set(tools) == {"run_agent", "search_knowledge"}
    assert set(tools["run_agent"].input_schema["properties"]) == {"runtime", "config", "input_data", "agent_id"}
    assert tools["run_agent"].input_schema["required"] == ["runtime"]


async def test_run_agent_reports_each_event_as_progress_and_returns_the_result(guarded_mcp_server):
    progress = []

    async def on_progress(value, total, message):
        progress.append((value, message))

    http, client = mcp_client(guarded_mcp_server)
    async with http, client:
        result = await client.call_tool(
            "run_agent",
            {"runtime": "synthetic", "config": {"steps": 1, "tokens": 2}, "input_data": {"prompt": "hi"}},
            progress_callback=on_progress,
        )

    assert not result.is_error
    assert result.structured_content == {
        "status": "completed",
        "output": {"text": "tok1 tok2 ", "steps": 1, "tokens": 2, "input": {"prompt": "hi"}},
        "error": None,
    }
    assert result.content[0].text == "tok1 tok2 "
    assert progress == [
        (1, 'progress: {"stage":"step","message":"Step 1 of 1","percent":100}'),
        (2, 'step: {"name":"step-1","content":"Completed synthetic step 1 of 1."}'),
        (3, 'token: {"content":"tok1 "}'),
        (4, 'token: {"content":"tok2 "}'),
    ]


async def test_run_agent_returns_a_failed_run_as_an_error_result(guarded_mcp_server):
    http, client = mcp_client(guarded_mcp_server)
    async with http, client:
        failed = await client.call_tool("run_agent", {"runtime": "synthetic", "config": {"fail_at": 1}})
        rejected = await client.call_tool("run_agent", {"runtime": "synthetic", "config": {"steps": -1}})

    assert failed.is_error
    assert failed.structured_content["error"] == {"message": "Synthetic failure at event 1",
                                                  "code": "synthetic_failure"}
    assert rejected.is_error
    assert "steps: Must be at least 0." in rejected.content[0].text


async def test_search_knowledge_finds_what_was_indexed_over_http(guarded_mcp_server):
    headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    text = "The staff canteen serves lunch between noon and two in the afternoon."
    with loopback_client(guarded_mcp_server.url) as http_client:
        http_client.put("/knowledge/mcp-agent/documents/canteen", headers=headers, json={
            "filename": "canteen.txt", "content_type": "text/plain",
            "content_base64": base64.b64encode(text.encode()).decode()})

    http, client = mcp_client(guarded_mcp_server)
    async with http, client:
        result = await client.call_tool("search_knowledge",
                                        {"agent_id": "mcp-agent", "query": "when can I eat at work?", "k": 1})

    [hit] = result.structured_content["results"]
    assert (hit["document_id"], hit["text"]) == ("canteen", text)
    assert json.loads(result.content[0].text)["results"][0]["filename"] == "canteen.txt"


async def test_it_refuses_mcp_clients_without_the_token(guarded_mcp_server):
    http, client = mcp_client(guarded_mcp_server, token=None)
    # The SDK surfaces the 401 as an MCPError inside its task groups.
    with pytest.raises(BaseExceptionGroup) as failure:
        async with http, client:
            await client.list_tools()

    assert failure.group_contains(MCPError, match="error response")
    with loopback_client(guarded_mcp_server.url) as plain:
        assert plain.post("/mcp", json={}).status_code == 401
