"""What no single process is trusted with: runs lost before their first event start again,
stale pending executions are dispatched again, and any live process does both."""

from datetime import timedelta

import pytest
from django.utils import timezone

from runs import services
from runs.events import PendingEvent
from runs.models import AgentExecution
from testsupport import wait_until
from testsupport.sockets import wait_for_status


def expire(execution):
    AgentExecution.objects.filter(id=execution.id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def wait_until_streaming(execution):
    """Past its first agent event, so giving it up fails it rather than starting it again."""
    wait_until(lambda: AgentExecution.objects.get(id=execution.id).last_seq > 2, timeout=15, description="streaming")


def history(execution):
    return list(execution.events.order_by("seq").values_list("seq", "event_type"))


@pytest.mark.django_db
class TestGivingUpARun:
    def test_a_run_lost_before_its_first_agent_event_is_started_again(self, agent):
        execution = AgentExecution.objects.create(agent=agent, input_data={"q": 1})
        services.claim_execution(execution.id)
        expire(execution)

        assert services.reap_executions() == 1
        execution.refresh_from_db()
        assert (execution.status, execution.attempt, execution.worker) == ("pending", 2, "")
        requeued = execution.events.get(seq=2)
        assert requeued.event_type == "execution_requeued"
        assert requeued.content == {"attempt": 2, "code": "worker_lost", "message": services.WORKER_LOST_MESSAGE}

        again = services.claim_execution(execution.id)
        assert again.status == "running"
        assert again.events.get(seq=3).content == {"input_data": {"q": 1}, "attempt": 2}
        assert history(again) == [(1, "execution_started"), (2, "execution_requeued"), (3, "execution_started")]

    def test_attempts_are_bounded(self, agent, settings):
        settings.AGENTS = {**settings.AGENTS, "MAX_ATTEMPTS": 2}
        execution = AgentExecution.objects.create(agent=agent)
        for _ in range(2):
            services.claim_execution(execution.id)
            expire(execution)
            services.reap_executions()
        execution.refresh_from_db()
        assert (execution.status, execution.attempt, execution.error_code) == ("failed", 2, "worker_lost")
        assert [kind for _, kind in history(execution)][-1] == "execution_error"

    def test_a_run_that_streamed_fails(self, agent):
        execution = AgentExecution.objects.create(agent=agent)
        services.claim_execution(execution.id)
        services.record_events(execution.id, [PendingEvent("token", {"content": "x"}, timezone.now())])
        ended = services.give_up_execution(execution.id, code="worker_shutdown", message="stopped")
        assert (ended.status, ended.error_code, ended.attempt) == ("failed", "worker_shutdown", 1)

    def test_a_run_whose_stop_was_requested_is_not_started_again(self, agent):
        execution = AgentExecution.objects.create(agent=agent)
        services.claim_execution(execution.id)
        services.stop_execution(execution)
        ended = services.give_up_execution(execution.id, code="worker_shutdown", message="stopped")
        assert ended.status == "failed"

    def test_a_frozen_worker_that_wakes_up_changes_nothing_of_the_run_started_again(self, agent):
        execution = AgentExecution.objects.create(agent=agent)
        services.claim_execution(execution.id)  # by this process, which then freezes
        expire(execution)
        services.reap_executions()
        services.claim_execution(execution.id)
        AgentExecution.objects.filter(id=execution.id).update(worker="elsewhere:1")  # claimed by another worker

        token = PendingEvent("token", {"content": "late"}, timezone.now())
        assert services.record_events(execution.id, [token]) is False
        assert services.renew_leases([execution.id]) == {}
        assert services.complete_execution(execution.id, {"text": "late"}) is None
        assert services.fail_execution(execution.id, "late", "late") is None
        execution.refresh_from_db()
        assert (execution.status, execution.last_seq) == ("running", 3)

    def test_a_finished_run_is_left_alone(self, agent):
        execution = AgentExecution.objects.create(agent=agent)
        services.claim_execution(execution.id)
        services.complete_execution(execution.id, {})
        assert services.give_up_execution(execution.id, code="worker_shutdown", message="stopped") is None


@pytest.mark.django_db
def test_only_stale_pending_executions_are_dispatched_again(agent, settings):
    settings.AGENTS = {**settings.AGENTS, "PENDING_REDISPATCH_SECONDS": 60}
    long_ago = timezone.now() - timedelta(minutes=5)
    stale = AgentExecution.objects.create(agent=agent, dispatched_at=long_ago)
    never_sent = AgentExecution.objects.create(agent=agent)  # a row from before dispatched_at existed
    AgentExecution.objects.filter(id=never_sent.id).update(created_at=long_ago)
    fresh = AgentExecution.objects.create(agent=agent, dispatched_at=timezone.now())
    running = AgentExecution.objects.create(agent=agent, dispatched_at=long_ago)
    services.claim_execution(running.id)

    assert services.redispatch_pending() == 2
    dispatched = dict(AgentExecution.objects.values_list("id", "dispatched_at"))
    assert dispatched[stale.id] > long_ago and dispatched[never_sent.id] is not None
    assert dispatched[fresh.id] == fresh.dispatched_at
    # Sent once per interval, however many processes sweep.
    assert services.redispatch_pending() == 0


def test_a_pending_execution_whose_message_was_lost_still_runs(worker, agent):
    # As after a Redis restart: the row is committed, its task message is gone.
    lost = AgentExecution.objects.create(agent=agent, dispatched_at=timezone.now() - timedelta(hours=1))
    done = wait_for_status(lost.id, ["completed", "failed", "stopped"], timeout=20)
    assert done.status == "completed"
    assert done.attempt == 1


def test_a_lone_dead_workers_runs_are_reaped_by_the_api(worker, api, agent):
    """No beat and no other worker: the api process's sweep notices."""
    agent.config = {"steps": 1, "tokens": 100000, "delay_ms": 10}
    agent.save()
    execution = services.start_execution(agent, {})
    wait_until_streaming(execution)
    worker.kill()
    ended = wait_for_status(execution.id, ["failed", "completed", "stopped"], timeout=15)
    assert (ended.status, ended.error_code) == ("failed", "worker_lost")


def test_a_stopping_worker_gives_its_runs_up_after_the_grace(worker_pool, transactional_db, agent):
    worker = worker_pool.ensure(WORKER_SHUTDOWN_GRACE="1")
    agent.config = {"steps": 1, "tokens": 100000, "delay_ms": 10}
    agent.save()
    execution = services.start_execution(agent, {})
    wait_until_streaming(execution)
    exit_code = worker.stop(timeout=10)  # SIGTERM: a warm shutdown, as docker stop sends
    assert exit_code == 0, worker.log_text()[-3000:]
    ended = AgentExecution.objects.get(id=execution.id)
    assert (ended.status, ended.error_code) == ("failed", "worker_shutdown")
