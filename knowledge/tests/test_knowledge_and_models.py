"""Knowledge documents indexed by the real worker on the real agent server, and a run of
the real local model through the whole platform."""

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from knowledge.models import AgentDocument
from runs.services import start_execution
from testsupport import wait_until
from testsupport.sockets import wait_for_status

pytestmark = pytest.mark.usefixtures("worker")

NOTE = b"""# Lighthouse maintenance

The Kestrel Point lighthouse lamp is cleaned every second Tuesday by the harbour crew.
"""


def search(agent_server, agent, query):
    return agent_server.search_knowledge(agent.id, query, k=3)


def document_status(document_id, statuses):
    return wait_until(
        lambda: AgentDocument.objects.filter(id=document_id, status__in=statuses).first(),
        timeout=60,
        interval=0.1,
        description=f"document reaches {statuses}",
    )


def test_an_uploaded_document_is_indexed_searchable_and_forgotten_when_deleted(api_as, owner, make_agent, agent_server):
    agent = make_agent(runtime="rag", config={})
    client = api_as(owner)
    response = client.post(
        f"/api/agents/{agent.id}/documents/", {"file": SimpleUploadedFile("lighthouse.md", NOTE)}, format="multipart"
    )
    document = document_status(response.json()["id"], ["ready", "failed"])
    assert (document.status, document.error_message) == ("ready", "")
    assert document.chunks >= 1
    assert client.get(f"/api/agents/{agent.id}/documents/{document.id}/").json()["status"] == "ready"

    found = search(agent_server, agent, "When is the lamp at Kestrel Point cleaned?")
    assert found[0]["document_id"] == str(document.id)
    assert found[0]["filename"] == "lighthouse.md"

    assert client.delete(f"/api/agents/{agent.id}/documents/{document.id}/").status_code == 204
    wait_until(lambda: not search(agent_server, agent, "Kestrel Point lamp"), timeout=30, interval=0.2)


def test_a_lost_index_is_rebuilt_from_the_database(api_as, owner, make_agent, agent_server):
    agent = make_agent(runtime="rag", config={})
    response = api_as(owner).post(
        f"/api/agents/{agent.id}/documents/", {"file": SimpleUploadedFile("lighthouse.md", NOTE)}, format="multipart"
    )
    document = document_status(response.json()["id"], ["ready"])
    # The agent server loses it (a new volume, say); the database still has it.
    httpx.delete(
        f"{agent_server.url}/knowledge/{agent.id}/documents/{document.id}", headers=agent_server.headers, trust_env=False
    ).raise_for_status()
    assert not search(agent_server, agent, "Kestrel Point lamp")

    call_command("reindex_documents", "--agent", str(agent.id))

    wait_until(lambda: search(agent_server, agent, "Kestrel Point lamp"), timeout=60, interval=0.2)
    assert document_status(document.id, ["ready"]).chunks >= 1


def test_a_document_the_agent_server_cannot_read_is_marked_failed_with_its_reason(api_as, owner, make_agent):
    agent = make_agent(runtime="rag", config={})
    response = api_as(owner).post(
        f"/api/agents/{agent.id}/documents/",
        {"file": SimpleUploadedFile("scan.pdf", b"this is not a pdf at all")},
        format="multipart",
    )
    document = document_status(response.json()["id"], ["ready", "failed"])
    assert document.status == "failed"
    assert document.error_message


def test_a_chat_agent_answers_with_the_real_local_model(make_agent):
    agent = make_agent(name="Chat", runtime="chat", config={"max_tokens": 8, "temperature": 0})
    execution = start_execution(agent, {"message": "Say hello."})
    finished = wait_for_status(execution.id, ["completed", "failed"], timeout=120)
    assert finished.status == "completed", finished.error_message
    tokens = [event.content["content"] for event in finished.events.filter(event_type="token")]
    assert tokens and "".join(tokens) == finished.output_data["text"]
