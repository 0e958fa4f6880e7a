"""tools/list over /mcp: the caller's active agents, each with its runtime's input schema."""

import pytest

from agents.models import Agent
from contract.runtimes import get_entry
from mcp_api.tests.conftest import listed
from mcp_api.tools import tool_base_name

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lists_the_callers_active_agents_and_nobody_elses(mcp_client, owner, outsider, make_agent):
    mine = make_agent(name="Daily report", description="Sums up the day.")
    make_agent(name="Switched off", status=Agent.Status.INACTIVE)
    make_agent(user=outsider, name="Oscar's")

    [tool] = listed(mcp_client(owner))

    assert tool.name == f"daily_report_{mine.id.hex[:8]}"
    assert "Daily report" in tool.description and "Sums up the day." in tool.description
    assert tool.input_schema == {"type": "object", **get_entry("synthetic")["input_schema"]}


def test_the_outsider_sees_only_their_own_agents(mcp_client, outsider, make_agent):
    make_agent(name="Olivia's")
    theirs = make_agent(user=outsider, name="Oscar's")

    assert [tool.name for tool in listed(mcp_client(outsider))] == [f"oscar_s_{theirs.id.hex[:8]}"]


def test_a_token_works_after_either_scheme_and_on_the_older_handshake(mcp_client, owner, agent):
    names = {tool_base_name(agent)}

    assert {tool.name for tool in listed(mcp_client(owner, scheme="Token"))} == names
    assert {tool.name for tool in listed(mcp_client(owner, mode="legacy"))} == names


def test_tool_names_are_valid_and_stable_for_any_agent_name(agent):
    for name, expected in [("Daily report", "daily_report"), ("  Ünïcode—name!! ", "unicode_name"), ("???", "agent")]:
        agent.name = name
        assert tool_base_name(agent) == f"{expected}_{agent.id.hex[:8]}"
    agent.name = "x" * 300
    assert len(tool_base_name(agent)) == 40 + 1 + 8
