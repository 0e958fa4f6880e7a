"""The rag runtime: retrieve passages, show them, answer from them with citations."""

import uuid

from mcp_server.tests.helpers import event_types, model_call, run_in_process
from testsupport.openai_stub import text

HANDBOOK = (
    "Expense reports must be filed within 30 days of the purchase. Receipts are required for any "
    "amount above 25 euros.\n\nThe office is closed on public holidays and on the last Friday of August."
)
SECURITY = "Passwords must be rotated every 90 days and must contain at least 12 characters."


async def agent_with_documents(services) -> str:
    agent_id = f"rag-{uuid.uuid4().hex[:8]}"
    await services.knowledge.put_document(agent_id, "doc-1", "handbook.md", "text/markdown", HANDBOOK.encode())
    await services.knowledge.put_document(agent_id, "doc-2", "security.txt", "text/plain", SECURITY.encode())
    return agent_id


async def test_it_retrieves_shows_the_passages_then_streams_a_grounded_answer(stub, services):
    agent_id = await agent_with_documents(services)
    stub.script(text("Within 30 days ", "[1]."))

    events = await run_in_process("rag", {"top_k": 2}, {"question": "How long do I have to submit my expenses?"},
                                  services, agent_id=agent_id)

    assert event_types(events) == ["progress", "step", "progress", "token", "token", "step", "progress", "result"]
    assert events[5] == model_call("answer", "stop", completion_tokens=2)
    assert events[0] == ("progress", {"stage": "retrieving", "message": "Searching the knowledge base", "percent": 0})
    step = events[1][1]
    assert step["name"] == "retrieval"
    assert step["content"].startswith("Found 2 passages:\n[1] handbook.md (chunk 0, score ")
    assert "[2] security.txt (chunk 0, score " in step["content"]
    assert (events[2][1]["stage"], events[2][1]["percent"]) == ("generating", 50)
    assert events[-2] == ("progress", {"stage": "done", "message": "Done", "percent": 100})
    output = events[-1][1]["output"]
    assert output["text"] == "Within 30 days [1]."
    assert [(c["index"], c["filename"], c["document_id"]) for c in output["citations"]] == [(1, "handbook.md", "doc-1")]
    assert (output["provider"], output["model"], output["finish_reason"]) == ("openai", "stub-model", "stop")
    prompt = stub.requests[0]["body"]["messages"][-1]["content"]
    assert "[1] (source: handbook.md)\nExpense reports must be filed within 30 days" in prompt
    assert prompt.endswith("Question: How long do I have to submit my expenses?\n\n"
                           "Answer from the passages, citing them like [1].")


async def test_an_answer_without_markers_cites_every_passage_it_was_given(stub, services):
    agent_id = await agent_with_documents(services)
    stub.script(text("Every 90 days."))

    events = await run_in_process("rag", {"top_k": 2}, {"message": "How often do passwords change?"},
                                  services, agent_id=agent_id)

    assert [c["index"] for c in events[-1][1]["output"]["citations"]] == [1, 2]
    assert events[-1][1]["output"]["citations"][0]["filename"] == "security.txt"


async def test_it_says_it_found_nothing_without_asking_the_model(stub, services):
    events = await run_in_process("rag", {}, {"message": "Anything?"}, services, agent_id="rag-empty-agent")

    assert event_types(events) == ["progress", "step", "token", "progress", "result"]
    assert events[-2] == ("progress", {"stage": "done", "message": "Done", "percent": 100})
    assert events[1][1]["content"] == "No passages found: this agent has no documents that match."
    assert events[-1][1]["output"]["citations"] == []
    assert stub.requests == []
