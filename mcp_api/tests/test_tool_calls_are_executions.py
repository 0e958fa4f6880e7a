"""tools/call over /mcp: an agent tool call is an ordinary execution, with its progress streamed."""

import time

import pytest
from mcp import MCPError

from mcp_api import services
from mcp_api.tests.conftest import call
from mcp_api.tools import tool_base_name
from runs.models import AgentExecution

pytestmark = pytest.mark.usefixtures("worker")


def test_a_call_runs_the_agent_as_an_execution_and_streams_its_progress(mcp_client, rest, owner, make_agent):
    agent = make_agent(config={"steps": 3, "tokens": 4, "delay_ms": 20})
    progress = []

    async def on_progress(value, total, message):
        progress.append((value, total, message))

    result = call(mcp_client(owner), tool_base_name(agent), {"question": "why?"}, on_progress)

    assert not result.is_error
    assert result.content[0].text == "tok1 tok2 tok3 tok4 "
    execution_id = result.structured_content["execution_id"]
    assert result.structured_content == {
        "execution_id": execution_id,
        "status": "completed",
        "output": {"text": "tok1 tok2 tok3 tok4 ", "steps": 3, "tokens": 4, "input": {"question": "why?"}},
    }
    assert progress == [(33, 100, "Step 1 of 3"), (66, 100, "Step 2 of 3"), (100, 100, "Step 3 of 3")]
    # Stored like any other: REST shows the execution and its events.
    stored = rest(owner).get(f"/api/executions/{execution_id}/").json()
    assert (stored["agent"], stored["status"], stored["input_data"]) == (str(agent.id), "completed", {"question": "why?"})
    assert AgentExecution.objects.get(id=execution_id).agent.owner == owner


def test_a_call_follows_its_run_live_and_returns_as_it_ends(mcp_client, owner, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 3, "delay_ms": 200})
    started = time.monotonic()

    result = call(mcp_client(owner), tool_base_name(agent), {})

    assert not result.is_error
    # The whole call, worker and agent server included, ends before the
    # feed's first check of the database: the end arrived live.
    assert time.monotonic() - started < services.CATCH_UP_SECONDS


def test_a_failed_run_is_a_tool_error_with_its_message(mcp_client, owner, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 2, "fail_at": 2})

    result = call(mcp_client(owner, mode="legacy"), tool_base_name(agent), {})

    assert result.is_error
    assert result.content[0].text == "Synthetic failure at event 2"
    assert result.structured_content["status"] == "failed"
    assert result.structured_content["error"] == {"message": "Synthetic failure at event 2", "code": "synthetic_failure"}


def test_arguments_the_runtime_rejects_are_a_tool_error_and_start_nothing(mcp_client, owner, make_agent):
    agent = make_agent(name="Chat", runtime="chat", config={})

    result = call(mcp_client(owner), tool_base_name(agent), {"message": 42})

    assert result.is_error
    assert "message: Must be a string." in result.content[0].text
    assert not AgentExecution.objects.exists()


def test_an_unknown_tool_and_someone_elses_agent_are_the_same_protocol_error(mcp_client, owner, outsider, make_agent):
    foreign = make_agent(user=outsider, name="Oscar's")
    errors = {}
    for name in ("no_such_tool", tool_base_name(foreign)):
        with pytest.raises(MCPError) as raised:
            call(mcp_client(owner), name, {})
        errors[name] = (raised.value.code, raised.value.message.replace(name, "<name>"))

    assert set(errors.values()) == {(-32602, "Unknown tool: <name>")}
    assert not AgentExecution.objects.exists()
