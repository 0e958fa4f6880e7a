"""Hostile input against the real api, worker and agent server: bounded memory and time, clear refusals.

A 200 MB upload is refused with a 413 while it arrives (with or without a
Content-Length), and the api's memory stays where it was. A PDF bomb is
read once, refused, marked failed with the reason, and leaves nothing
searchable; a normal document still indexes.
"""

import time
import uuid

import httpx
import pytest
from django.conf import settings

from conftest import PASSWORD
from knowledge.models import AgentDocument
from mcp_server.tests.pdfs import pdf_bomb, pdf_of_slow_pages, pdf_with_text
from testsupport import wait_until

pytestmark = pytest.mark.usefixtures("worker")

UPLOAD_BYTES = 200 * 1024 * 1024
# What the api may grow by while refusing it: buffers, not the body.
RSS_BUDGET = 40 * 1024 * 1024
LIGHTHOUSE = "The Kestrel Point lighthouse lamp is cleaned every second Tuesday by the harbour crew."


def peak_rss(pid):
    """The process's high-water mark of resident memory, in bytes (VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


@pytest.fixture
def client(api, owner):
    token = httpx.post(
        f"{api.url}/api/auth/token/", json={"username": owner.username, "password": PASSWORD}, trust_env=False
    ).json()["token"]
    with httpx.Client(
        base_url=api.url, headers={"Authorization": f"Token {token}"}, trust_env=False, timeout=60
    ) as client:
        yield client


def multipart(filename, size, boundary="hostile-boundary"):
    """A multipart body with one file of ``size`` bytes, made as it is sent (never held whole)."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    piece = b"x" * (1024 * 1024)

    def body():
        yield head
        for start in range(0, size, len(piece)):
            yield piece[: size - start]
        yield tail

    return body, len(head) + size + len(tail), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(client, agent, name, content):
    return client.post(f"/api/agents/{agent.id}/documents/", files={"file": (name, content)})


def warm_up(client, agent):
    """One small upload first, so the api's peak memory already includes what any upload loads."""
    assert upload(client, agent, "warm.txt", b"warm up").status_code == 201


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_200_mb_upload_is_refused_while_it_arrives_and_the_api_stays_small(api, client, agent, framing):
    warm_up(client, agent)
    body, length, headers = multipart("huge.txt", UPLOAD_BYTES)
    if framing == "content-length":
        headers["Content-Length"] = str(length)  # else httpx sends a generator chunked
    before = peak_rss(api.pid)
    started = time.monotonic()

    response = client.post(f"/api/agents/{agent.id}/documents/", content=body(), headers=headers)

    seconds = time.monotonic() - started
    grown = peak_rss(api.pid) - before
    print(f"{framing}: 413 after {seconds:.2f} s, api peak RSS grew by {grown / 1e6:.1f} MB")
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is larger than {settings.AGENTS['MAX_UPLOAD_BYTES'] / 1e6:g} MB.",
        "code": "too_large",
    }
    assert seconds < 30
    assert grown < RSS_BUDGET
    assert AgentDocument.objects.filter(filename="huge.txt").count() == 0
    # The api is fine afterwards.
    assert client.get(f"/api/agents/{agent.id}/documents/").status_code == 200


def test_a_client_that_waits_for_100_continue_gets_the_413_before_sending_anything(api, client, agent):
    body, length, headers = multipart("huge.txt", UPLOAD_BYTES)
    sent = []

    def counted():
        for piece in body():
            sent.append(len(piece))
            yield piece

    headers.update({"Content-Length": str(length), "Expect": "100-continue"})
    try:
        response = client.post(f"/api/agents/{agent.id}/documents/", content=counted(), headers=headers)
    except httpx.TransportError:
        # httpx does not wait for 100 Continue: it may find the connection closed mid-body instead.
        response = None
    if response is not None:
        assert response.status_code == 413
    assert sum(sent) < UPLOAD_BYTES


def test_a_json_body_has_a_smaller_limit(client):
    oversized = b'{"name": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
    response = client.post("/api/agents/", content=oversized, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def document_outcome(document_id):
    return wait_until(
        lambda: AgentDocument.objects.filter(id=document_id, status__in=["ready", "failed"]).first(),
        timeout=60,
        interval=0.2,
        description="the document is ready or failed",
    )


def search(agent_server, agent, query):
    return agent_server.search_knowledge(agent.id, query, k=5)


@pytest.mark.parametrize(
    "name, pdf, code",
    [
        ("bomb.pdf", lambda: pdf_bomb(text=LIGHTHOUSE), "expands to more data"),
        ("slow.pdf", lambda: pdf_of_slow_pages(text=LIGHTHOUSE), "took longer than"),
    ],
)
def test_a_pdf_bomb_is_read_once_refused_and_leaves_nothing_searchable(
    client, make_agent, agent_server, name, pdf, code
):
    agent = make_agent(runtime="rag", config={})
    content = pdf()
    assert len(content) < 100_000
    before = peak_rss(agent_server.pid)
    started = time.monotonic()

    response = upload(client, agent, name, content)
    assert response.status_code == 201, response.text
    document = document_outcome(response.json()["id"])

    seconds = time.monotonic() - started
    grown = peak_rss(agent_server.pid) - before
    print(f"{name}: failed after {seconds:.2f} s, agent server peak RSS grew by {grown / 1e6:.1f} MB")
    assert document.status == "failed"
    assert code in document.error_message
    assert seconds < 30
    assert grown < 100 * 1024 * 1024  # the reading happened in a child with its own limit
    reads = agent_server.log_text().count(f"indexing document {document.id} ")
    assert reads == 1, f"read {reads} times"
    assert all(hit["document_id"] != str(document.id) for hit in search(agent_server, agent, "Kestrel Point lighthouse lamp"))

    # The same agent's normal documents still index and are found.
    good = upload(client, agent, "lighthouse.pdf", pdf_with_text(LIGHTHOUSE))
    indexed = document_outcome(good.json()["id"])
    assert (indexed.status, indexed.error_message) == ("ready", "")
    assert search(agent_server, agent, "When is the lamp at Kestrel Point cleaned?")[0]["document_id"] == str(indexed.id)


def test_an_owner_uploads_and_finds_a_document_as_before(client, make_agent):
    agent = make_agent(runtime="rag", config={})
    response = upload(client, agent, f"notes-{uuid.uuid4().hex[:6]}.md", f"# Notes\n\n{LIGHTHOUSE}\n".encode())
    assert response.status_code == 201
    assert document_outcome(response.json()["id"]).status == "ready"
