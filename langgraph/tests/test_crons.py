"""Crons: runs made on a schedule by beat from the database, each an ordinary run.

Olivia schedules her agents: a daily summary on her thread, a check every
minute on a fresh thread each time. Oscar, another user, can neither see
nor change her crons, nor schedule on her thread or with her agent. The
first tests read and write through the api in process and fire a cron as
beat's task would; the last one runs the real api, worker and beat.
"""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from langgraph_sdk import get_sync_client

from agents.tokens import issue_token
from runs.models import AgentExecution
from testsupport import wait_until
from threads.models import Thread

from .. import crons
from ..models import Cron, Run

HELLO = {"messages": [{"role": "user", "content": "Anything new today?"}]}


@pytest.fixture
def olivia(api_as, owner):
    return api_as(owner)


@pytest.fixture
def oscar(api_as, outsider):
    return api_as(outsider)


@pytest.fixture
def thread(owner, agent):
    return Thread.objects.create(owner=owner, agent=agent, title="Daily")


def schedule(client, agent, path="/lg/runs/crons", **fields):
    body = {"assistant_id": str(agent.id), "schedule": "0 9 * * 1-5", "input": HELLO, **fields}
    return client.post(path, body, format="json")


def beat_entry(cron_id):
    return PeriodicTask.objects.filter(name=f"langgraph-cron:{cron_id}").first()


def test_a_cron_on_a_thread_is_beat_entry_in_its_time_zone(olivia, agent, thread):
    response = schedule(olivia, agent, f"/lg/threads/{thread.id}/runs/crons", timezone="America/New_York",
                        metadata={"team": "ops"})

    assert response.status_code == 200, response.content
    cron = response.json()
    assert (cron["thread_id"], cron["assistant_id"], cron["enabled"]) == (str(thread.id), str(agent.id), True)
    assert (cron["schedule"], cron["timezone"]) == ("0 9 * * 1-5", "America/New_York")
    assert cron["metadata"] == {"team": "ops"}
    assert cron["payload"]["input"] == HELLO
    # Nine in New York, on a weekday, on the minute.
    next_run = datetime.fromisoformat(cron["next_run_date"]).astimezone(ZoneInfo("America/New_York"))
    assert next_run > timezone.now() and (next_run.hour, next_run.minute, next_run.second) == (9, 0, 0)
    assert next_run.weekday() < 5
    entry = beat_entry(cron["cron_id"])
    assert (entry.task, entry.enabled, entry.kwargs) == ("langgraph.tasks.fire_cron", True,
                                                          f'{{"cron_id": "{cron["cron_id"]}"}}')
    crontab = entry.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == (
        "0", "9", "1-5", "America/New_York")


def test_changes_reach_the_beat_entry_and_delete_takes_it_away(olivia, agent):
    cron_id = schedule(olivia, agent).json()["cron_id"]
    ends = timezone.now() + timedelta(days=3)

    changed = olivia.patch(f"/lg/runs/crons/{cron_id}", {"schedule": "*/5 * * * *", "end_time": ends.isoformat(),
                                                         "input": {"messages": "Only the alerts, please."}},
                           format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["payload"]["input"] == {"messages": "Only the alerts, please."}
    entry = beat_entry(cron_id)
    assert (entry.crontab.minute, entry.expires) == ("*/5", ends)

    paused = olivia.patch(f"/lg/runs/crons/{cron_id}", {"enabled": False, "end_time": None}, format="json").json()
    assert (paused["enabled"], paused["next_run_date"], paused["end_time"]) == (False, None, None)
    assert beat_entry(cron_id).enabled is False

    assert olivia.delete(f"/lg/runs/crons/{cron_id}").status_code == 204
    assert beat_entry(cron_id) is None and not Cron.objects.filter(id=cron_id).exists()
    assert olivia.delete(f"/lg/runs/crons/{cron_id}").status_code == 404


def test_a_deleted_thread_takes_its_crons_and_their_beat_entries(olivia, agent, thread):
    cron_id = schedule(olivia, agent, f"/lg/threads/{thread.id}/runs/crons").json()["cron_id"]

    assert olivia.delete(f"/lg/threads/{thread.id}").status_code == 204

    assert not Cron.objects.filter(id=cron_id).exists() and beat_entry(cron_id) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"schedule": "every morning"}, "schedule"),
        ({"schedule": "61 * * * *"}, "schedule"),
        ({"schedule": "0 0 31 2 *"}, "schedule"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"input": {"messages": []}}, "input"),
        ({"multitask_strategy": "sometimes"}, "multitask_strategy"),
        ({"webhook": "http://10.0.0.8/hook"}, "webhook"),
    ],
)
def test_a_bad_cron_is_refused_with_the_field_and_nothing_is_scheduled(olivia, agent, fields, field):
    response = schedule(olivia, agent, **fields)

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Cron.objects.exists() and not PeriodicTask.objects.filter(task="langgraph.tasks.fire_cron").exists()


def test_a_change_that_would_make_a_bad_run_is_refused(olivia, agent):
    cron_id = schedule(olivia, agent).json()["cron_id"]

    response = olivia.patch(f"/lg/runs/crons/{cron_id}", {"input": {"messages": []}}, format="json")

    assert response.status_code == 422 and "input" in response.json()["errors"]
    assert Cron.objects.get(id=cron_id).payload["input"] == HELLO


def test_search_and_count_find_only_her_crons_by_assistant_thread_metadata_and_state(
    olivia, oscar, agent, thread, make_agent
):
    other_agent = make_agent(name="Reporter")
    on_thread = schedule(olivia, agent, f"/lg/threads/{thread.id}/runs/crons", metadata={"a__b": 1}).json()
    threadless = schedule(olivia, other_agent, schedule="* * * * *").json()
    olivia.patch(f"/lg/runs/crons/{threadless['cron_id']}", {"enabled": False}, format="json")

    def search(client, **query):
        return [cron["cron_id"] for cron in client.post("/lg/runs/crons/search", query, format="json").json()]

    assert search(olivia) == [threadless["cron_id"], on_thread["cron_id"]]
    assert search(olivia, sort_by="created_at", sort_order="asc") == [on_thread["cron_id"], threadless["cron_id"]]
    assert search(olivia, assistant_id=str(agent.id)) == search(olivia, thread_id=str(thread.id)) == [
        on_thread["cron_id"]]
    assert search(olivia, metadata={"a__b": 1}) == [on_thread["cron_id"]]
    assert search(olivia, enabled=False) == [threadless["cron_id"]]
    # The disabled one fires no more: it sorts after the ones that will.
    assert search(olivia, sort_by="next_run_date", sort_order="asc") == [on_thread["cron_id"], threadless["cron_id"]]
    selected = olivia.post("/lg/runs/crons/search", {"select": ["cron_id", "enabled"], "limit": 1}, format="json")
    assert selected.json() == [{"cron_id": threadless["cron_id"], "enabled": False}]
    assert olivia.post("/lg/runs/crons/count", {"assistant_id": str(other_agent.id)}, format="json").json() == 1
    assert search(oscar) == [] and oscar.post("/lg/runs/crons/count", {}, format="json").json() == 0


def test_someone_elses_cron_thread_and_agent_are_not_found(olivia, oscar, agent, thread, make_agent, outsider):
    cron_id = schedule(olivia, agent).json()["cron_id"]

    assert oscar.patch(f"/lg/runs/crons/{cron_id}", {"enabled": False}, format="json").status_code == 404
    assert oscar.delete(f"/lg/runs/crons/{cron_id}").status_code == 404
    assert schedule(oscar, agent).status_code == 404
    assert schedule(oscar, make_agent(user=outsider), f"/lg/threads/{thread.id}/runs/crons").status_code == 404
    assert oscar.delete("/lg/runs/crons/not-a-cron").status_code == 404
    assert Cron.objects.get(id=cron_id).enabled


def test_a_fire_makes_one_run_however_often_it_is_delivered(owner, agent, thread):
    cron = crons.create_cron(owner, {"assistant_id": str(agent.id), "schedule": "* * * * *", "input": HELLO},
                             thread_id=str(thread.id))

    first = crons.fire(cron.id, fire_id="beat-message-1")
    again = crons.fire(cron.id, fire_id="beat-message-1")
    later = crons.fire(cron.id, fire_id="beat-message-2")

    assert first is not None and again is None and later is not None
    assert Run.objects.filter(cron=cron).count() == 2
    assert first.execution.thread_id == thread.id and first.fire == "beat-message-1"
    assert set(AgentExecution.objects.filter(thread=thread).values_list("status", flat=True)) <= {
        "pending", "queued"}


def test_a_threadless_fire_runs_on_a_new_thread_and_a_disabled_or_ended_cron_makes_none(owner, agent):
    cron = crons.create_cron(owner, {"assistant_id": str(agent.id), "schedule": "* * * * *", "input": HELLO,
                                     "on_run_completed": "keep"})

    run = crons.fire(cron.id, fire_id="beat-message-1")

    assert run.thread.metadata["cron_id"] == str(cron.id) and run.kwargs["on_run_completed"] == "keep"
    Cron.objects.filter(id=cron.id).update(enabled=False)
    assert crons.fire(cron.id, fire_id="beat-message-2") is None
    Cron.objects.filter(id=cron.id).update(enabled=True, end_time=timezone.now() - timedelta(minutes=1))
    assert crons.fire(cron.id, fire_id="beat-message-3") is None
    assert crons.fire(str(uuid.uuid4()), fire_id="beat-message-4") is None


@pytest.mark.usefixtures("worker", "beat")
def test_beat_fires_crons_as_ordinary_runs_through_the_python_client(api, owner, make_agent):
    """Beat starts the runs on the minute; a threadless cron's thread is deleted once its run ended."""
    client = get_sync_client(url=f"{api.url}/lg", api_key=issue_token(owner).key, timeout=60)
    agent = make_agent(config={"steps": 1, "tokens": 4, "delay_ms": 0})
    thread = client.threads.create()
    on_thread = client.crons.create_for_thread(thread["thread_id"], str(agent.id), schedule="* * * * *", input=HELLO)
    threadless = client.crons.create(str(agent.id), schedule="* * * * *", input=HELLO)
    assert {cron["cron_id"] for cron in client.crons.search()} == {on_thread["cron_id"], threadless["cron_id"]}
    assert client.crons.count(assistant_id=str(agent.id)) == 2

    completed = AgentExecution.objects.filter(agent=agent, status=AgentExecution.Status.COMPLETED)

    def fired_on_thread():
        return Run.objects.filter(cron_id=on_thread["cron_id"], execution__in=completed).last()

    # The next minute, and the runs' few seconds; the threadless run's thread
    # (and with it its Run) is gone once it ended: its execution stays.
    wait_until(lambda: fired_on_thread() and completed.filter(thread__isnull=True).exists(), timeout=100,
               interval=0.5)

    listed = {run["run_id"]: run["status"] for run in client.runs.list(thread["thread_id"])}
    assert listed[str(fired_on_thread().id)] == "success"
    state = client.threads.get_state(thread["thread_id"])
    assert [message["type"] for message in state["values"]["messages"]][:2] == ["human", "ai"]
    assert not Thread.objects.filter(metadata__cron_id=threadless["cron_id"]).exists()

    client.crons.update(on_thread["cron_id"], enabled=False)
    client.crons.delete(threadless["cron_id"])
    assert [cron["enabled"] for cron in client.crons.search()] == [False]
    assert beat_entry(threadless["cron_id"]) is None


def test_admin_shows_a_cron_with_its_next_run_and_the_runs_it_made(admin_client_for, owner, agent):
    cron = crons.create_cron(owner, {"assistant_id": str(agent.id), "schedule": "30 6 * * *", "input": HELLO,
                                     "on_run_completed": "keep"})
    run = crons.fire(cron.id, fire_id="beat-message-1")

    assert "30 6 * * *" in admin_client_for.get("/admin/langgraph/cron/").content.decode()
    page = admin_client_for.get(f"/admin/langgraph/cron/{cron.id}/change/").content.decode()
    assert str(run.id) in page and "beat-message-1" in page
