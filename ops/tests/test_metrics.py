"""/metrics through a real worker: the worker's counters arrive through its Redis snapshot."""

import socket

import pytest
from rest_framework.test import APIClient

from ops import metrics, store
from runs import services
from testsupport import wait_until
from testsupport.sockets import wait_for_status

from .scraping import scrape, value

FAMILIES = [
    "agents_executions_started", "agents_executions_finished", "agents_execution_duration_seconds",
    "agents_execution_start_latency_seconds", "agents_events_stored", "agents_events_broadcast",
    "agents_open_sockets", "agents_open_streams", "agents_queue_depth", "agents_interrupts_waiting",
    "agents_executions", "agents_worker_last_heartbeat_timestamp_seconds", "agents_worker_up",
]


def counts(families, process):
    return {
        "started": value(families, "agents_executions_started", "agents_executions_started_total",
                         runtime="synthetic", process=process),
        "completed": value(families, "agents_executions_finished", "agents_executions_finished_total",
                           runtime="synthetic", status="completed", process=process),
        "failed": value(families, "agents_executions_finished", "agents_executions_finished_total",
                        runtime="synthetic", status="failed", process=process),
        "durations": value(families, "agents_execution_duration_seconds", "agents_execution_duration_seconds_count",
                           runtime="synthetic", process=process),
        "latencies": value(families, "agents_execution_start_latency_seconds",
                           "agents_execution_start_latency_seconds_count", runtime="synthetic", process=process),
        "events": value(families, "agents_events_stored", "agents_events_stored_total", process=process),
    }


def fresh_counts(staff, process):
    """The worker's counts from a snapshot it wrote after this call began.

    A snapshot may be up to METRICS_PUSH_SECONDS old: dropping it and waiting for the
    next one keeps an earlier test's late-counted runs out of the difference.
    """
    store.redis().delete(metrics.snapshot_key(process))
    wait_until(lambda: process in str(scrape(staff)["agents_events_stored"].samples), timeout=20,
               description="a fresh snapshot of the worker")
    return counts(scrape(staff), process)


def test_metrics_count_the_runs_a_real_worker_made(worker, staff, make_agent):
    process = f"worker:{socket.gethostname()}:{worker.pid}"
    # The worker is shared by the whole test run: count from what it had already done, once
    # two fresh snapshots agree (nothing an earlier test started is still finishing).
    before = fresh_counts(staff, process)
    for _ in range(5):
        again = fresh_counts(staff, process)
        if again == before:
            break
        before = again

    agent = make_agent(config={"steps": 2, "tokens": 5, "delay_ms": 0})
    failing = make_agent(name="Failing", config={"steps": 2, "tokens": 5, "fail_at": 3})
    runs = [services.start_execution(agent, {}) for _ in range(3)] + [services.start_execution(failing, {})]
    for run in runs:
        wait_for_status(run.id, ["completed", "failed", "stopped"], timeout=30)

    def arrived():
        now = counts(scrape(staff), process)
        return now if now["completed"] - before["completed"] == 3 and now["failed"] - before["failed"] == 1 else None

    after = wait_until(arrived, timeout=20, interval=0.5, description="the worker's snapshot with the runs")
    assert after["started"] - before["started"] == 4
    assert after["durations"] - before["durations"] == 4
    assert after["latencies"] - before["latencies"] == 4
    assert after["events"] - before["events"] >= 3 * (2 * 2 + 5)

    families = scrape(staff)
    assert set(FAMILIES) <= set(families)
    worker_name = f"{socket.gethostname()}:{worker.pid}"
    assert value(families, "agents_worker_up", "agents_worker_up", worker=worker_name) == 1
    assert value(families, "agents_executions", "agents_executions", status="completed") >= 3
    from django.conf import settings

    queues = {sample.labels["queue"] for sample in families["agents_queue_depth"].samples}
    assert settings.CELERY_TASK_DEFAULT_QUEUE in queues


@pytest.mark.django_db
def test_metrics_need_staff_or_the_metrics_token(owner, outsider, staff, settings):
    settings.METRICS_TOKEN = "scrape-me"
    assert APIClient().get("/metrics").status_code == 401
    client = APIClient()
    client.force_authenticate(outsider)
    assert client.get("/metrics").status_code == 403
    assert APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    scraper = APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert scraper.status_code == 200
    assert scraper["Content-Type"].startswith("text/plain")
    assert b"agents_executions_started" in scraper.content


@pytest.mark.django_db
def test_no_metrics_token_means_no_bearer_access(settings):
    settings.METRICS_TOKEN = ""
    assert APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
