"""A knowledge tool over /mcp: an agent with an indexed document gets ``search_<slug>_<id8>``, its owner's alone."""

import pytest
from mcp import MCPError

from knowledge.models import AgentDocument
from mcp_api.tests.conftest import call, listed
from mcp_api.tools import tool_base_name
from testsupport import wait_until

pytestmark = pytest.mark.usefixtures("worker")

NOTE = b"""# Lighthouse maintenance

The Kestrel Point lighthouse lamp is cleaned every second Tuesday by the harbour crew.
"""


def indexed_agent(rest, owner, make_agent):
    """A RAG agent of ``owner`` with one document, uploaded over REST and indexed by the real worker."""
    agent = make_agent(name="Harbour", runtime="rag", config={})
    with rest(owner) as client:
        response = client.post(
            f"/api/agents/{agent.id}/documents/", files={"file": ("lighthouse.md", NOTE, "text/markdown")}
        )
    assert response.status_code == 201, response.text
    document = wait_until(
        lambda: AgentDocument.objects.filter(id=response.json()["id"]).filter(status__in=["ready", "failed"]).first(),
        timeout=60,
        interval=0.1,
        description="the document is indexed",
    )
    assert (document.status, document.error_message) == ("ready", "")
    return agent


def test_the_owner_lists_and_calls_the_search_tool_of_an_agent_with_an_indexed_document(
    mcp_client, rest, owner, make_agent
):
    agent = indexed_agent(rest, owner, make_agent)
    search = f"search_{tool_base_name(agent)}"

    assert {tool.name for tool in listed(mcp_client(owner))} == {tool_base_name(agent), search}
    result = call(mcp_client(owner), search, {"query": "When is the lamp at Kestrel Point cleaned?", "k": 2})

    assert not result.is_error
    assert result.content[0].text.startswith("[lighthouse.md] ")
    assert "cleaned every second Tuesday by the harbour crew" in result.content[0].text
    [best, *_] = result.structured_content["results"]
    assert best["filename"] == "lighthouse.md"
    assert best["document_id"] == str(AgentDocument.objects.get(agent=agent).id)


def test_an_outsider_neither_sees_nor_can_call_someone_elses_search_tool(mcp_client, rest, owner, outsider, make_agent):
    agent = indexed_agent(rest, owner, make_agent)
    search = f"search_{tool_base_name(agent)}"

    assert listed(mcp_client(outsider)) == []
    errors = {}
    for name in (search, "search_no_such_agent_00000000"):
        with pytest.raises(MCPError) as raised:
            call(mcp_client(outsider), name, {"query": "Kestrel Point"})
        errors[name] = (raised.value.code, raised.value.message.replace(name, "<name>"))
    # Exactly what an unknown tool gets: nothing tells the outsider that the agent exists.
    assert set(errors.values()) == {(-32602, "Unknown tool: <name>")}
