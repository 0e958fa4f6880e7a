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


async def test_it_retrieves_shows_the_passages_then_sends_an_answer_that_keeps_to_them(stub, services):
    agent_id = await agent_with_documents(services)
    stub.script(text("Expense reports must be filed within 30 days ", "[1]."))

    events = await run_in_process("rag", {"top_k": 2}, {"question": "How long do I have to submit my expenses?"},
                                  services, agent_id=agent_id)

    assert event_types(events) == ["progress", "step", "progress", "step", "token", "progress", "result"]
    assert events[0] == ("progress", {"stage": "retrieving", "message": "Searching the knowledge base", "percent": 0})
    step = events[1][1]
    assert step["name"] == "retrieval"
    assert step["content"].startswith("Found 2 passages:\n[1] handbook.md (chunk 0, score ")
    assert "[2] security.txt (chunk 0, score " in step["content"]
    assert (events[2][1]["stage"], events[2][1]["percent"]) == ("generating", 50)
    assert events[3] == model_call("answer", "stop", completion_tokens=2)
    # Checked before it is sent: one token, the whole answer.
    assert events[4] == ("token", {"content": "Expense reports must be filed within 30 days [1]."})
    output = events[-1][1]["output"]
    assert (output["text"], output["answered_from"]) == ("Expense reports must be filed within 30 days [1].", "model")
    assert [(c["index"], c["filename"], c["document_id"]) for c in output["citations"]] == [(1, "handbook.md", "doc-1")]
    assert output["citations"][0]["quote"] == "Expense reports must be filed within 30 days of the purchase."
    assert (output["provider"], output["model"], output["finish_reason"]) == ("openai", "stub-model", "stop")
    # The model is given the sentences nearest the question, numbered by their passage, not whole passages.
    prompt = stub.requests[0]["body"]["messages"][-1]["content"]
    assert "[1] (source: handbook.md) Expense reports must be filed within 30 days of the purchase." in prompt
    assert "public holidays" not in prompt
    assert prompt.endswith("Question: How long do I have to submit my expenses?\n\n"
                           "Answer from the passages, citing them like [1].")


async def test_an_answer_that_does_not_keep_to_the_passages_is_replaced_by_the_nearest_one_quoted(stub, services):
    agent_id = await agent_with_documents(services)
    stub.script(text("The server is a server-server that manages Kubernetes clusters."))

    events = await run_in_process("rag", {"top_k": 2}, {"message": "How often must passwords be rotated?"},
                                  services, agent_id=agent_id)

    grounding = [data for kind, data in events if kind == "step" and data["name"] == "grounding"]
    assert len(grounding) == 1 and "quoting the nearest sentence" in grounding[0]["content"]
    output = events[-1][1]["output"]
    quote = "Passwords must be rotated every 90 days and must contain at least 12 characters."
    assert (output["text"], output["answered_from"]) == (f"{quote} [1]", "quote")
    assert [token["content"] for kind, token in events if kind == "token"] == [output["text"]]
    assert [(c["index"], c["filename"], c["quote"]) for c in output["citations"]] == [(1, "security.txt", quote)]


async def test_an_answer_without_markers_cites_the_passages_of_its_sentences(stub, services):
    agent_id = await agent_with_documents(services)
    stub.script(text("Passwords must be rotated every 90 days."))

    events = await run_in_process("rag", {"top_k": 2}, {"message": "How often do passwords change?"},
                                  services, agent_id=agent_id)

    output = events[-1][1]["output"]
    assert output["answered_from"] == "model"
    assert output["citations"][0]["filename"] == "security.txt"


def test_keeping_to_the_passages_means_nearly_every_word_is_theirs():
    from mcp_server.runtimes.rag import keeps_to

    sources = ["A running execution holds a lease that its worker renews with a heartbeat."]
    assert keeps_to("Its worker renews the lease with a heartbeat [1].", sources)
    assert not keeps_to("The lease is renewed by Kubernetes every minute.", sources)
    assert not keeps_to("[1].", sources)  # nothing said


async def test_it_says_it_found_nothing_without_asking_the_model(stub, services):
    events = await run_in_process("rag", {}, {"message": "Anything?"}, services, agent_id="rag-empty-agent")

    assert event_types(events) == ["progress", "step", "token", "progress", "result"]
    assert events[-2] == ("progress", {"stage": "done", "message": "Done", "percent": 100})
    assert events[1][1]["content"] == "No passages found: this agent has no documents that match."
    assert events[-1][1]["output"]["citations"] == []
    assert stub.requests == []
