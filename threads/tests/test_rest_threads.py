"""Threads over REST: owned, filtered, patched, deleted; messages listed in order; bad input is a 400."""

import json

import pytest

from runs.models import AgentExecution
from threads.models import Message, Thread
from threads.services import post_message

pytestmark = pytest.mark.django_db


def test_an_owner_creates_a_thread_and_sees_it_idle(api_as, owner, agent):
    client = api_as(owner)

    created = client.post("/api/threads/", {"agent": str(agent.id), "title": "Trip", "metadata": {"project": "x"}},
                          format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "idle" and body["multitask_strategy"] == "reject"
    assert body["metadata"] == {"project": "x"}
    assert client.get(f"/api/threads/{body['id']}/").json() == body


def test_someone_elses_thread_and_agent_are_not_found(api_as, outsider, thread, agent):
    client = api_as(outsider)

    assert client.get(f"/api/threads/{thread.id}/").status_code == 404
    assert client.get(f"/api/threads/{thread.id}/messages/").status_code == 404
    assert client.post(f"/api/threads/{thread.id}/messages/", {"content": "hi"}, format="json").status_code == 404
    assert client.patch(f"/api/threads/{thread.id}/", {"title": "mine"}, format="json").status_code == 404
    assert client.delete(f"/api/threads/{thread.id}/").status_code == 404
    assert client.get("/api/threads/").json()["results"] == []
    refused = client.post("/api/threads/", {"agent": str(agent.id)}, format="json")
    assert refused.status_code == 400 and "agent" in refused.json()


def test_staff_see_every_thread_but_write_in_none_without_the_permission(api_as, staff, thread):
    client = api_as(staff)

    assert client.get(f"/api/threads/{thread.id}/").status_code == 200
    assert client.post(f"/api/threads/{thread.id}/messages/", {"content": "hi"}, format="json").status_code == 403
    assert client.patch(f"/api/threads/{thread.id}/", {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/threads/{thread.id}/").status_code == 403
    assert Message.objects.count() == 0


def test_threads_are_filtered_by_agent_status_and_metadata(api_as, owner, make_agent, make_thread):
    other_agent = make_agent(name="Other")
    tagged = make_thread(metadata={"project": "apollo", "n": 1})
    make_thread(metadata={"project": "gemini"})
    busy = make_thread(agent=other_agent)
    post_message(busy, "Hello")
    client = api_as(owner)

    def ids(query):
        response = client.get(f"/api/threads/?{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids(f"agent={other_agent.id}") == [str(busy.id)]
    assert ids("status=busy") == [str(busy.id)]
    assert str(busy.id) not in ids("status=idle")
    assert ids("metadata=" + json.dumps({"project": "apollo"})) == [str(tagged.id)]
    assert ids("metadata=" + json.dumps({"project": "apollo", "n": 2})) == []
    # A key is a key, never a lookup or a path into the JSON.
    odd = make_thread(metadata={"contains": "x", "a__b": 1})
    assert ids("metadata=" + json.dumps({"contains": "x"})) == ids("metadata=" + json.dumps({"a__b": 1})) == [
        str(odd.id)]
    bad = client.get("/api/threads/?metadata=[1]")
    assert bad.status_code == 400 and "metadata" in bad.json()
    assert client.get("/api/threads/?status=sleeping").status_code == 400


def test_title_metadata_and_strategy_are_patched_but_not_the_agent(api_as, owner, agent, make_agent, thread):
    client = api_as(owner)

    patched = client.patch(f"/api/threads/{thread.id}/",
                           {"title": "Renamed", "metadata": {"a": 1}, "multitask_strategy": "enqueue",
                            "agent": str(make_agent(name="Other").id)}, format="json")

    assert patched.status_code == 200, patched.json()
    thread.refresh_from_db()
    assert (thread.title, thread.metadata, thread.multitask_strategy) == ("Renamed", {"a": 1}, "enqueue")
    assert thread.agent_id == agent.id  # a thread's conversation stays with its agent
    assert client.patch(f"/api/threads/{thread.id}/", {"metadata": [1]}, format="json").status_code == 400
    assert client.patch(f"/api/threads/{thread.id}/", {"multitask_strategy": "race"}, format="json").status_code == 400


def test_posting_a_message_starts_a_run_of_the_thread(api_as, owner, thread, django_capture_on_commit_callbacks):
    client = api_as(owner)

    with django_capture_on_commit_callbacks():
        posted = client.post(f"/api/threads/{thread.id}/messages/", {"content": "Where to in May?"}, format="json")

    assert posted.status_code == 201, posted.json()
    body = posted.json()
    assert body["message"]["role"] == "user" and body["message"]["content"] == "Where to in May?"
    assert body["execution"]["thread"] == str(thread.id) and body["execution"]["status"] == "pending"
    assert body["execution"]["input_data"] == {"message": "Where to in May?"}
    assert client.get(f"/api/threads/{thread.id}/").json()["status"] == "busy"
    assert client.get(f"/api/executions/?thread={thread.id}").json()["results"][0]["id"] == body["execution"]["id"]


@pytest.mark.parametrize(
    "body, field",
    [({}, "content"), ({"content": "   "}, "content"), ({"content": "x" * 100_001}, "content"),
     ({"content": "hi", "multitask_strategy": "race"}, "multitask_strategy"), ({"content": ["a"]}, "content")],
)
def test_a_bad_message_is_a_400_with_the_field_and_stores_nothing(api_as, owner, thread, body, field):
    response = api_as(owner).post(f"/api/threads/{thread.id}/messages/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Message.objects.count() == 0 and AgentExecution.objects.count() == 0


def test_a_message_to_an_inactive_agent_is_refused_and_not_stored(api_as, owner, agent, thread):
    agent.status = "inactive"
    agent.save()

    response = api_as(owner).post(f"/api/threads/{thread.id}/messages/", {"content": "hi"}, format="json")

    assert response.status_code == 409
    assert Message.objects.count() == 0


def test_the_conversation_lists_in_order_and_pages(api_as, owner, thread, django_assert_max_num_queries):
    for n in range(3):
        Message.objects.create(thread=thread, turn=n + 1, role="user", content=f"question {n}")
    # An answer stored late (its run was queued behind others) still follows its question.
    Message.objects.create(thread=thread, turn=1, role="assistant", content="answer 0")
    client = api_as(owner)

    with django_assert_max_num_queries(6):
        page = client.get(f"/api/threads/{thread.id}/messages/?page_size=3").json()

    assert [m["content"] for m in page["results"]] == ["question 0", "answer 0", "question 1"]
    rest = client.get(page["next"]).json()
    assert [m["content"] for m in rest["results"]] == ["question 2"]


def test_deleting_a_thread_stops_its_runs_and_keeps_them_in_the_audit_trail(api_as, owner, thread):
    _, execution = post_message(thread, "Hello")

    assert api_as(owner).delete(f"/api/threads/{thread.id}/").status_code == 204

    execution.refresh_from_db()
    assert execution.status == "stopped" and execution.thread_id is None
    assert not Thread.objects.exists() and not Message.objects.exists()
