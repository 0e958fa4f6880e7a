"""Knowledge documents over REST: upload, list, delete; validation and ownership."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import AgentDocument

pytestmark = pytest.mark.django_db


def upload(client, agent, name="notes.md", content=b"# Notes\nThe platform streams events.", **extra):
    return client.post(
        f"/api/agents/{agent.id}/documents/", {"file": SimpleUploadedFile(name, content)}, format="multipart", **extra
    )


@pytest.mark.parametrize(
    "name, content_type", [("notes.md", "text/markdown"), ("notes.TXT", "text/plain"), ("paper.pdf", "application/pdf")]
)
def test_an_owner_uploads_a_document_and_it_waits_for_indexing(api_as, owner, agent, name, content_type):
    response = upload(api_as(owner), agent, name=name)
    assert response.status_code == 201, response.data
    body = response.json()
    assert (body["filename"], body["content_type"], body["status"]) == (name, content_type, "pending")
    assert body["size"] == len(b"# Notes\nThe platform streams events.")
    assert bytes(AgentDocument.objects.get(id=body["id"]).content).startswith(b"# Notes")


@pytest.mark.parametrize("name, content", [("tool.exe", b"MZ"), ("empty.txt", b""), ("noextension", b"x")])
def test_unreadable_uploads_are_a_400_on_the_file_field(api_as, owner, agent, name, content):
    response = upload(api_as(owner), agent, name=name, content=content)
    assert response.status_code == 400
    assert "file" in response.json()


def test_an_upload_over_the_size_limit_is_refused(api_as, owner, agent, settings):
    settings.AGENTS = {**settings.AGENTS, "DOCUMENT_MAX_BYTES": 10}
    response = upload(api_as(owner), agent, content=b"x" * 11)
    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than 10 bytes.", "code": "too_large"}


def test_a_missing_file_is_a_400(api_as, owner, agent):
    response = api_as(owner).post(f"/api/agents/{agent.id}/documents/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_documents_are_listed_and_deleted(api_as, owner, agent, django_assert_max_num_queries):
    client = api_as(owner)
    ids = [upload(client, agent, name=f"doc{n}.md").json()["id"] for n in range(3)]
    with django_assert_max_num_queries(4):
        listed = client.get(f"/api/agents/{agent.id}/documents/").json()
    assert listed["count"] == 3
    assert client.delete(f"/api/agents/{agent.id}/documents/{ids[0]}/").status_code == 204
    assert client.get(f"/api/agents/{agent.id}/documents/{ids[0]}/").status_code == 404
    assert client.get(f"/api/agents/{agent.id}/documents/").json()["count"] == 2


def test_an_outsider_cannot_list_upload_or_delete(api_as, owner, outsider, agent):
    document_id = upload(api_as(owner), agent).json()["id"]
    client = api_as(outsider)
    assert client.get(f"/api/agents/{agent.id}/documents/").status_code == 404
    assert upload(client, agent).status_code == 404
    assert client.get(f"/api/agents/{agent.id}/documents/{document_id}/").status_code == 404
    assert client.delete(f"/api/agents/{agent.id}/documents/{document_id}/").status_code == 404
    assert AgentDocument.objects.count() == 1


def test_a_document_is_only_found_under_its_own_agent(api_as, owner, agent, make_agent):
    other = make_agent(name="other")
    document_id = upload(api_as(owner), agent).json()["id"]
    assert api_as(owner).get(f"/api/agents/{other.id}/documents/{document_id}/").status_code == 404
