"""The workers, queues and agent servers pages: real workers, one killed; staff only."""

import socket

import pytest

from ops import heartbeats
from runs import services
from testsupport import free_port, wait_until
from testsupport.sockets import wait_for_status
from testsupport.stack import start_worker

PAGES = ["/api/ops/workers/", "/api/ops/queues/", "/api/ops/agent-servers/"]


def workers_by_name(client):
    response = client.get("/api/ops/workers/")
    assert response.status_code == 200, response.content
    return {row["name"]: row for row in response.json()}


def test_a_killed_worker_shows_lost_within_one_lease(platform_env, transactional_db, staff, api_as, settings):
    lease = 2.0
    settings.AGENTS = {**settings.AGENTS, "LEASE_SECONDS": lease}
    env = {**platform_env, "EXECUTION_LEASE_SECONDS": str(lease), "EXECUTION_HEARTBEAT_SECONDS": "0.5"}
    process = start_worker(env)
    name = f"{socket.gethostname()}:{process.pid}"
    client = api_as(staff)
    try:
        online = wait_until(lambda: workers_by_name(client).get(name), timeout=10, description="its first heartbeat")
        assert online["state"] == "online"
        assert (online["host"], online["pid"], online["pool"]) == (socket.gethostname(), process.pid, "threads")
        assert online["concurrency"] == 4
        assert settings.CELERY_TASK_DEFAULT_QUEUE in online["queues"]
        assert online["running"] == []

        process.kill()
        killed_at = online["last_heartbeat"]
        lost = wait_until(lambda: (row := workers_by_name(client)[name])["state"] == "lost" and row,
                          timeout=lease + 3, interval=0.2, description="the worker shows lost")
        # Lost as soon as its last heartbeat is one lease old, not later.
        assert lost["last_heartbeat"] - killed_at < 1.5
    finally:
        process.kill()
        heartbeats.forget(name)


def test_a_worker_that_stops_gracefully_leaves_no_entry(platform_env, transactional_db, staff, api_as):
    process = start_worker(platform_env)
    name = f"{socket.gethostname()}:{process.pid}"
    client = api_as(staff)
    wait_until(lambda: name in workers_by_name(client), timeout=10, description="its first heartbeat")
    process.stop(timeout=15)
    assert name not in workers_by_name(client)


def test_the_running_worker_shows_online_with_its_runs(worker, staff, api_as, make_agent):
    name = f"{socket.gethostname()}:{worker.pid}"
    row = wait_until(lambda: workers_by_name(api_as(staff)).get(name), timeout=15, description="heartbeat")
    assert row["state"] == "online"
    assert row["active_tasks"] == 0  # Celery answered: idle

    agent = make_agent(config={"steps": 1, "tokens": 100000, "delay_ms": 10})
    execution = services.start_execution(agent, {})
    wait_for_status(execution.id, "running", timeout=15)
    row = workers_by_name(api_as(staff))[name]
    assert [run["id"] for run in row["running"]] == [str(execution.id)]
    assert row["running"][0]["lease_expires_at"]
    assert row["active_tasks"] == 1


def test_queues_report_the_depth_of_this_deployments_queue(staff, api_as, settings, db):
    response = api_as(staff).get("/api/ops/queues/")
    assert response.status_code == 200
    depths = {row["name"]: row["depth"] for row in response.json()}
    assert isinstance(depths[settings.CELERY_TASK_DEFAULT_QUEUE], int)


def test_agent_servers_report_health_and_runtimes(agent_server, staff, api_as, settings, db):
    settings.AGENTS = {**settings.AGENTS, "MCP_URL": agent_server.url, "MCP_TOKEN": agent_server.token}
    [server] = api_as(staff).get("/api/ops/agent-servers/").json()
    assert server["reachable"] is True and server["status"] == "ok"
    assert "synthetic" in server["runtimes"]
    assert server["latency_ms"] >= 0


def test_an_unreachable_agent_server_is_reported_not_an_error(staff, api_as, settings, db):
    settings.AGENTS = {**settings.AGENTS, "MCP_URL": f"http://127.0.0.1:{free_port()}"}
    response = api_as(staff).get("/api/ops/agent-servers/")
    assert response.status_code == 200
    [server] = response.json()
    assert server["reachable"] is False and server["error"].startswith("unreachable")


@pytest.mark.parametrize("path", PAGES)
def test_only_staff_see_the_operators_pages(path, owner, outsider, api_as, db):
    assert api_as(None).get(path).status_code == 401
    assert api_as(owner).get(path).status_code == 403
    assert api_as(outsider).get(path).status_code == 403


def test_the_workers_page_reads_the_database_once(staff, api_as, django_assert_max_num_queries, db):
    for pid in (101, 102, 103):
        heartbeats.beat(f"elsewhere:{pid}", {"host": "elsewhere", "pid": pid, "pool": "threads", "concurrency": 8,
                                              "queues": ["celery"], "node": "celery@elsewhere", "started_at": 0})
    try:
        with django_assert_max_num_queries(1):
            rows = workers_by_name(api_as(staff))
        assert {rows[f"elsewhere:{pid}"]["state"] for pid in (101, 102, 103)} == {"online"}
        assert rows["elsewhere:101"]["active_tasks"] is None  # no such worker answers Celery
    finally:
        for pid in (101, 102, 103):
            heartbeats.forget(f"elsewhere:{pid}")
