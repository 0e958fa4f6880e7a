"""The knowledge endpoints of the real server: index, replace, search, delete, persist."""

import base64
import uuid

import pytest

from mcp_server.tests.conftest import AGENT_TOKEN, loopback_client, server_env
from mcp_server.tests.pdfs import pdf_with_text
from testsupport import start_mcp_server

GARDEN = "Tomatoes need six hours of sun a day and should be watered at the base in the early morning."
BIKES = "Bicycle chains should be cleaned and oiled every few hundred kilometres to prevent rust."


def new_agent() -> str:
    return f"agent-{uuid.uuid4().hex[:8]}"


def document(text: str, filename: str = "notes.txt", content_type: str = "text/plain") -> dict:
    return {"filename": filename, "content_type": content_type,
            "content_base64": base64.b64encode(text.encode() if isinstance(text, str) else text).decode()}


def search(client, agent_id: str, query: str, k: int | None = None) -> list[dict]:
    body = {"query": query} if k is None else {"query": query, "k": k}
    response = client.post(f"/knowledge/{agent_id}/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_it_indexes_a_document_and_finds_it_by_meaning(client):
    agent = new_agent()

    response = client.put(f"/knowledge/{agent}/documents/doc-1", json=document(GARDEN, "garden.md", "text/markdown"))
    client.put(f"/knowledge/{agent}/documents/doc-2", json=document(BIKES, "bikes.txt"))

    assert response.status_code == 200
    assert response.json() == {"document_id": "doc-1", "chunks": 1}
    results = search(client, agent, "how much light do my vegetable plants need?")
    assert [result["document_id"] for result in results] == ["doc-1", "doc-2"]
    assert set(results[0]) == {"document_id", "filename", "chunk", "text", "score"}
    assert (results[0]["filename"], results[0]["chunk"], results[0]["text"]) == ("garden.md", 0, GARDEN)
    assert results[0]["score"] > results[1]["score"]


def test_it_indexes_pdfs(client):
    agent = new_agent()
    pdf = pdf_with_text("The warranty covers the battery for two years.")

    response = client.put(f"/knowledge/{agent}/documents/manual",
                          json=document(pdf, "manual.pdf", "application/pdf"))

    assert response.json() == {"document_id": "manual", "chunks": 1}
    assert "battery" in search(client, agent, "warranty", k=1)[0]["text"]


def test_a_second_put_replaces_the_document(client):
    agent = new_agent()
    client.put(f"/knowledge/{agent}/documents/doc", json=document(GARDEN))

    client.put(f"/knowledge/{agent}/documents/doc", json=document(BIKES))

    assert [result["text"] for result in search(client, agent, "tomatoes")] == [BIKES]


def test_a_deleted_document_leaves_search_at_once_and_delete_is_idempotent(client):
    agent = new_agent()
    client.put(f"/knowledge/{agent}/documents/garden", json=document(GARDEN))
    client.put(f"/knowledge/{agent}/documents/bikes", json=document(BIKES))
    assert len(search(client, agent, "tomatoes")) == 2

    first = client.delete(f"/knowledge/{agent}/documents/garden")
    second = client.delete(f"/knowledge/{agent}/documents/garden")

    assert (first.status_code, second.status_code) == (204, 204)
    assert [result["document_id"] for result in search(client, agent, "tomatoes")] == ["bikes"]


def test_agents_do_not_see_each_others_documents(client):
    agent, other = new_agent(), new_agent()
    client.put(f"/knowledge/{agent}/documents/garden", json=document(GARDEN))

    assert search(client, other, "tomatoes") == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (document("x", "photo.png", "image/png"), 422, "unsupported_document"),
        (document("   ", "empty.txt"), 422, "empty_document"),
        (document(b"%PDF-1.4 garbage", "scan.pdf", "application/pdf"), 422, "unreadable_document"),
        ({"filename": "a.txt", "content_type": "text/plain", "content_base64": "***"}, 400, "invalid_request"),
        ({"content_type": "text/plain", "content_base64": ""}, 400, "invalid_request"),
    ],
)
def test_it_rejects_documents_it_cannot_index(client, body, status, code):
    response = client.put(f"/knowledge/{new_agent()}/documents/doc", json=body)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_it_rejects_a_bad_search(client):
    response = client.post(f"/knowledge/{new_agent()}/search", json={"query": "", "k": 0})

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"query", "k"}


def test_the_knowledge_endpoints_need_the_token_when_one_is_set(guarded_client):
    anonymous = guarded_client.post("/knowledge/a/search", json={"query": "x"})
    authorized = guarded_client.post("/knowledge/a/search", json={"query": "x"},
                                     headers={"Authorization": f"Bearer {AGENT_TOKEN}"})

    assert anonymous.status_code == 401
    assert authorized.status_code == 200


def test_the_index_survives_a_restart(openai_stub, tmp_path):
    env = server_env(openai_stub, tmp_path)
    with start_mcp_server(env=env) as server, loopback_client(server.url) as client:
        client.put("/knowledge/keeper/documents/garden", json=document(GARDEN, "garden.md"))

    with start_mcp_server(env=env) as server, loopback_client(server.url) as client:
        results = search(client, "keeper", "tomatoes")

    assert [(result["document_id"], result["filename"]) for result in results] == [("garden", "garden.md")]
    assert (tmp_path / "knowledge.sqlite3").is_file()
