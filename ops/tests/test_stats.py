"""The charts' series from real runs and real samples."""

import time

import pytest

from ops import history
from runs import services
from testsupport import wait_until
from testsupport.sockets import wait_for_status


def test_stats_count_real_runs_and_sample_the_events_rate(worker, owner, outsider, staff, make_agent, api_as,
                                                          settings):
    settings.OPS = {**settings.OPS, "SAMPLE_SECONDS": 1.0}
    before = sum(history.events_stored_by_process().values())
    # An api process's own sampler (this one's, once config.asgi is loaded) may take a slot
    # first: either way the slot has a sample of that moment.
    history.sample()

    agent = make_agent(config={"steps": 2, "tokens": 20, "delay_ms": 0})
    failing = make_agent(name="Failing", config={"steps": 2, "tokens": 5, "fail_at": 3})
    runs = [services.start_execution(agent, {}) for _ in range(2)] + [services.start_execution(failing, {})]
    for run in runs:
        wait_for_status(run.id, ["completed", "failed"], timeout=30)
    # The worker's snapshot reaches Redis within METRICS_PUSH_SECONDS.
    wait_until(lambda: sum(history.events_stored_by_process().values()) >= before + 2 * 24, timeout=20,
               description="the worker's snapshot with the runs' events")
    time.sleep(1.0)  # the next sample slot
    history.sample()

    response = api_as(staff).get("/api/ops/stats/?window=hour")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["window"], body["bucket_seconds"], len(body["buckets"])) == ("hour", 60, 60)
    buckets = body["buckets"]
    assert sum(bucket["runs"]["created"] for bucket in buckets) == 3
    assert sum(bucket["runs"]["completed"] for bucket in buckets) == 2
    assert sum(bucket["runs"]["failed"] for bucket in buckets) == 1
    ended = [bucket for bucket in buckets if bucket["runs"]["completed"]]
    assert all(bucket["duration_p95"] >= bucket["duration_p50"] >= 0 for bucket in ended)
    assert any((bucket["events_per_second"] or 0) > 0 for bucket in buckets[-2:])
    assert settings.CELERY_TASK_DEFAULT_QUEUE in buckets[-1]["queue_depth"]

    # Someone else sees only their own runs, and no queues.
    theirs = api_as(outsider).get("/api/ops/stats/?window=day").json()
    assert (theirs["bucket_seconds"], len(theirs["buckets"])) == (900, 96)
    assert sum(bucket["runs"]["created"] + bucket["runs"]["completed"] for bucket in theirs["buckets"]) == 0
    assert all(bucket["queue_depth"] is None for bucket in theirs["buckets"])
    mine = api_as(owner).get("/api/ops/stats/?window=day").json()
    assert sum(bucket["runs"]["completed"] for bucket in mine["buckets"]) == 2


@pytest.mark.django_db
def test_stats_refuse_an_unknown_window(owner, api_as):
    assert api_as(owner).get("/api/ops/stats/?window=week").status_code == 400
    assert api_as(None).get("/api/ops/stats/").status_code == 401
