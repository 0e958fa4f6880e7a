"""The runs view's API: every run one may see, filtered, searched, a page at a time; stop and re-run many at once.

Olivia (``owner``) has runs of two agents, one in a thread and one a turn
of a room; Oscar (``outsider``) has one of his own and sees only that;
Sam (``staff``) sees everyone's but changes another's only with the
permission for it.
"""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rooms.models import Room
from runs import api, services
from runs.models import AgentExecution
from testsupport.sockets import AgentSocket

Status = AgentExecution.Status
pytestmark = pytest.mark.django_db


def run(agent, minutes_ago, status=Status.COMPLETED, **fields):
    execution = AgentExecution.objects.create(agent=agent, status=status, **fields)
    created = timezone.now() - timedelta(minutes=minutes_ago)
    AgentExecution.objects.filter(id=execution.id).update(created_at=created)
    return execution


@pytest.fixture
def history(owner, outsider, make_agent, make_thread):
    writer = make_agent(name="Writer")
    chat = make_agent(name="Chat", runtime="chat", config={"provider": "openai"})
    room = Room.objects.create(owner=owner, name="Lisbon")
    return {
        "oldest": run(writer, 50, input_data={"message": "Plan a weekend in Lisbon"}),
        "failed": run(chat, 40, Status.FAILED, error_code="agent_server_unavailable",
                      error_message="The agent server could not be reached.", input_data={"message": "hi"}),
        "thread": run(writer, 30, thread=make_thread(agent=writer), input_data={"message": "And in July?"}),
        "turn": run(writer, 20, room=room, input_data={"message": "Your turn"}),
        "pending": run(chat, 10, Status.PENDING, input_data={"message": "Porto, perhaps"}),
        "oscars": run(make_agent(user=outsider, name="Oscar's"), 5, input_data={"message": "mine"}),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def names(history, *keys):
    return [str(history[key].id) for key in keys]


def test_a_user_sees_her_runs_of_every_kind_newest_first_and_staff_see_everyones(api_as, owner, outsider, staff, history):
    mine = api_as(owner).get("/api/runs/")
    assert ids(mine) == names(history, "pending", "turn", "thread", "failed", "oldest")
    assert mine.json()["count"] == 5
    row = mine.json()["results"][3]
    assert (row["agent_name"], row["runtime"], row["error_code"]) == ("Chat", "chat", "agent_server_unavailable")
    assert mine.json()["results"][1]["room"] == str(history["turn"].room_id)
    assert ids(api_as(outsider).get("/api/runs/")) == names(history, "oscars")
    assert api_as(staff).get("/api/runs/").json()["count"] == 6


@pytest.mark.parametrize(("query", "expected"), [
    ("status=failed", ["failed"]),
    ("status=failed&status=pending", ["pending", "failed"]),
    ("runtime=chat", ["pending", "failed"]),
    ("error_code=agent_server_unavailable", ["failed"]),
    ("q=LISBON", ["oldest"]),
    ("q=could not be reached", ["failed"]),
    ("q=mine", []),  # Oscar's input, not hers
])
def test_filters_and_search_narrow_the_runs(api_as, owner, history, query, expected):
    assert ids(api_as(owner).get(f"/api/runs/?{query}")) == names(history, *expected)


def test_filters_by_agent_thread_room_and_time(api_as, owner, history):
    olivia = api_as(owner)
    assert ids(olivia.get(f"/api/runs/?agent={history['failed'].agent_id}")) == names(history, "pending", "failed")
    assert ids(olivia.get(f"/api/runs/?thread={history['thread'].thread_id}")) == names(history, "thread")
    assert ids(olivia.get(f"/api/runs/?room={history['turn'].room_id}")) == names(history, "turn")
    after = (timezone.now() - timedelta(minutes=35)).isoformat()
    before = (timezone.now() - timedelta(minutes=15)).isoformat()
    window = olivia.get("/api/runs/", {"created_after": after, "created_before": before})
    assert ids(window) == names(history, "turn", "thread")
    assert ids(olivia.get(f"/api/runs/?agent={history['oscars'].agent_id}")) == []


def test_a_time_with_any_offset_python_reads_is_compared_in_utc(api_as, owner, history):
    # +16:00 is a valid offset to Python but not to PostgreSQL; the year 1 at +16:00 is before any UTC time.
    olivia = api_as(owner)
    assert ids(olivia.get("/api/runs/", {"created_after": "2000-01-01T00:00:00+16:00"})) == names(
        history, "pending", "turn", "thread", "failed", "oldest")
    assert olivia.get("/api/runs/", {"created_before": "0001-01-01T00:00:00+16:00"}).status_code == 400


def test_bad_filters_are_400s_that_name_the_field(api_as, owner):
    response = api_as(owner).get("/api/runs/?status=bogus&created_after=yesterday&agent=7")
    assert response.status_code == 400
    assert {"status", "created_after", "agent"} <= set(response.json())


def test_the_cursor_walks_every_run_once_in_order_and_the_count_stops_at_its_limit(
    api_as, owner, make_agent, monkeypatch
):
    agent = make_agent()
    now = timezone.now()
    AgentExecution.objects.bulk_create([AgentExecution(agent=agent, status=Status.COMPLETED) for _ in range(120)])
    # Some share a creation time: the cursor still gives each once.
    for index, execution in enumerate(AgentExecution.objects.order_by("id")):
        AgentExecution.objects.filter(id=execution.id).update(created_at=now - timedelta(seconds=index // 3))
    olivia, seen, url = api_as(owner), [], "/api/runs/?page_size=50"
    while url:
        page = olivia.get(url).json()
        seen += [(row["created_at"], row["id"]) for row in page["results"]]
        url = page["next"]
    assert len(seen) == 120 == len({execution_id for _, execution_id in seen})
    assert [created for created, _ in seen] == sorted((created for created, _ in seen), reverse=True)

    monkeypatch.setattr(api.RunPagination, "COUNT_LIMIT", 100)
    page = olivia.get("/api/runs/").json()
    assert (page["count"], page["count_limit"]) == (100, 100)


def test_the_first_page_reads_the_creation_index_rather_than_sorting_every_row(api_as, staff, history):
    with CaptureQueriesContext(connection) as queries:
        assert api_as(staff).get("/api/runs/").status_code == 200
    page_sql = next(query["sql"] for query in queries if "ORDER BY" in query["sql"] and "LIMIT" in query["sql"])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {page_sql}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "execution_created_idx" in plan and "TEMP B-TREE" not in plan, plan
        else:
            # Six rows are cheaper to sort than to look up, so the planner is told to prefer the
            # index; what is checked is that the index serves the order (the bench times 1,000,000).
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {page_sql}")
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "execution_created_idx" in plan and "Sort" not in plan, plan


def test_rerun_starts_its_input_again_or_the_one_given_and_says_what_it_reruns(api_as, owner, outsider, history):
    olivia, failed = api_as(owner), history["failed"]
    response = olivia.post(f"/api/executions/{failed.id}/rerun/", {}, format="json")
    assert response.status_code == 201, response.content
    again = AgentExecution.objects.get(id=response.json()["id"])
    assert (again.agent_id, again.input_data, again.rerun_of_id, again.status) == (
        failed.agent_id, failed.input_data, failed.id, Status.PENDING)
    edited = olivia.post(f"/api/executions/{failed.id}/rerun/", {"input_data": {"message": "hello"}}, format="json")
    assert AgentExecution.objects.get(id=edited.json()["id"]).input_data == {"message": "hello"}
    # A turn of a room runs again on its own.
    turn_again = olivia.post(f"/api/executions/{history['turn'].id}/rerun/", {}, format="json").json()
    assert (turn_again["room"], turn_again["thread"]) == (None, None)

    assert olivia.post(f"/api/executions/{failed.id}/rerun/", {"input_data": [1]}, format="json").status_code == 400
    assert api_as(outsider).post(f"/api/executions/{failed.id}/rerun/", {}, format="json").status_code == 404


def test_bulk_stop_and_rerun_act_on_each_run_one_may_see_and_report_the_rest(api_as, owner, staff, history):
    olivia = api_as(owner)
    asked = names(history, "pending", "oscars", "oldest") + ["00000000-0000-0000-0000-000000000000"]
    stopped = olivia.post("/api/runs/stop/", {"ids": asked}, format="json")
    assert stopped.status_code == 202
    body = stopped.json()
    assert [(row["id"], row["status"]) for row in body["results"]] == [
        (str(history["pending"].id), "stopped"), (str(history["oldest"].id), "completed")]
    assert body["not_found"] == [asked[1], asked[3]]

    rerun = olivia.post("/api/runs/rerun/", {"ids": names(history, "failed", "oldest")}, format="json")
    assert rerun.status_code == 201
    assert [row["rerun_of"] for row in rerun.json()["results"]] == names(history, "failed", "oldest")

    # Sam sees Oscar's run, but re-running it takes the permission to start runs of others.
    refused = api_as(staff).post("/api/runs/rerun/", {"ids": names(history, "oscars")}, format="json").json()
    assert refused["results"] == [] and refused["errors"][str(history["oscars"].id)]["code"] == "permission_denied"

    assert olivia.post("/api/runs/stop/", {"ids": []}, format="json").status_code == 400
    too_many = olivia.post("/api/runs/stop/", {"ids": [asked[0]] * 201}, format="json")
    assert too_many.status_code == 400 and "ids" in too_many.json()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_url")
async def test_the_runs_stream_tells_a_user_of_her_runs_as_they_start_and_move_and_nothing_of_others(
    owner, outsider, make_agent
):
    olivia_agent = await sync_to_async(make_agent)(name="Writer")
    oscar_agent = await sync_to_async(make_agent)(user=outsider, name="Oscar's")
    olivia = await AgentSocket.open(None, user=owner)
    oscar = await AgentSocket.open(None, user=outsider)
    for socket in (olivia, oscar):
        await socket.send({"action": "subscribe", "stream": "runs"})
        await socket.send({"action": "ping"})
        assert (await socket.receive())["type"] == "pong"

    execution = await sync_to_async(services.start_execution)(olivia_agent, {"message": "hi"})
    await sync_to_async(services.stop_execution)(execution)
    # Its creation and each move (a worker may claim it before the stop reaches it), in any order
    # between processes, until it ended.
    statuses = []
    while not statuses or statuses[-1] not in ("stopped", "completed"):
        message = await olivia.receive()
        assert {**message, "status": None} == {
            "type": "execution_status", "stream": "runs", "execution_id": str(execution.id),
            "agent_id": str(olivia_agent.id), "thread_id": None, "room_id": None, "status": None}
        statuses.append(message["status"])
    assert "pending" in statuses
    await oscar.nothing_more()

    await sync_to_async(services.start_execution)(oscar_agent, {"message": "mine"})
    assert (await oscar.receive())["stream"] == "runs"
    await olivia.send({"action": "unsubscribe", "stream": "runs"})
    await sync_to_async(services.start_execution)(olivia_agent, {"message": "again"})
    await olivia.nothing_more()
    await olivia.close()
    await oscar.close()
