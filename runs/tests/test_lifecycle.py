"""The execution state machine: one winner per transition, no event after the end, the reaper."""

from datetime import timedelta

import pytest
from django.utils import timezone

from runs import services
from runs.events import PendingEvent
from runs.models import AgentExecution

pytestmark = pytest.mark.django_db


def token(text="x"):
    return PendingEvent("token", {"content": text}, timezone.now())


def test_a_redelivered_task_cannot_claim_an_execution_twice(agent):
    execution = AgentExecution.objects.create(agent=agent, input_data={"q": 1})
    claimed = services.claim_execution(execution.id)
    assert claimed.status == "running"
    assert claimed.lease_expires_at > timezone.now()
    assert services.claim_execution(execution.id) is None
    started = list(claimed.events.values_list("seq", "event_type", "content"))
    assert started == [(1, "execution_started", {"input_data": {"q": 1}})]


def test_events_get_consecutive_seqs_across_batches(agent):
    execution = AgentExecution.objects.create(agent=agent)
    services.claim_execution(execution.id)
    assert services.record_events(execution.id, [token("a"), token("b")])
    assert services.record_events(execution.id, [token("c")])
    assert list(execution.events.values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_a_terminal_execution_never_gets_another_event(agent):
    execution = AgentExecution.objects.create(agent=agent)
    services.claim_execution(execution.id)
    assert services.complete_execution(execution.id, {"text": "done"}).status == "completed"
    assert services.record_events(execution.id, [token()]) is False
    assert services.fail_execution(execution.id, "late", "late") is None
    assert services.confirm_stopped(execution.id) is None
    assert execution.events.count() == 2


def test_stopping_a_running_execution_marks_it_for_its_worker(agent):
    execution = AgentExecution.objects.create(agent=agent)
    services.claim_execution(execution.id)
    assert services.stop_execution(execution).status == "running"
    execution.refresh_from_db()
    first_request = execution.stop_requested_at
    assert first_request is not None
    services.stop_execution(execution)
    execution.refresh_from_db()
    assert execution.stop_requested_at == first_request
    assert services.confirm_stopped(execution.id).status == "stopped"
    assert execution.events.last().event_type == "execution_stopped"


def test_a_stopped_pending_execution_is_never_claimed(agent):
    execution = AgentExecution.objects.create(agent=agent)
    services.stop_execution(execution)
    assert services.claim_execution(execution.id) is None


def test_the_reaper_fails_only_executions_whose_lease_expired(agent):
    lost = AgentExecution.objects.create(agent=agent)
    alive = AgentExecution.objects.create(agent=agent)
    services.claim_execution(lost.id)
    services.claim_execution(alive.id)
    # It had streamed: it cannot be started again, only failed.
    services.record_events(lost.id, [token()])
    AgentExecution.objects.filter(id=lost.id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert services.reap_executions() == 1
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert (lost.status, lost.error_code) == ("failed", "worker_lost")
    assert alive.status == "running"
    last = lost.events.last()
    assert (last.event_type, last.content["code"]) == ("execution_error", "worker_lost")


def test_a_renewed_lease_is_not_reaped(agent):
    execution = AgentExecution.objects.create(agent=agent)
    services.claim_execution(execution.id)
    AgentExecution.objects.filter(id=execution.id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert services.renew_leases([execution.id]) == {str(execution.id): False}
    assert services.reap_executions() == 0


def test_one_batch_stores_events_of_many_executions_and_skips_ended_ones(agent):
    first, second, ended = (AgentExecution.objects.create(agent=agent) for _ in range(3))
    for execution in (first, second, ended):
        services.claim_execution(execution.id)
    services.complete_execution(ended.id, {})
    not_running = services.record_event_batches(
        {first.id: [token("a"), token("b")], second.id: [token("c")], ended.id: [token("late")]}
    )
    assert not_running == {ended.id}
    assert list(first.events.values_list("seq", flat=True)) == [1, 2, 3]
    assert list(second.events.values_list("seq", "event_type")) == [(1, "execution_started"), (2, "token")]
    assert ended.events.count() == 2
    assert AgentExecution.objects.get(id=first.id).last_seq == 3


def test_a_stop_request_shows_on_the_next_heartbeat(agent):
    execution = AgentExecution.objects.create(agent=agent)
    services.claim_execution(execution.id)
    services.stop_execution(execution)
    assert services.renew_leases([execution.id]) == {str(execution.id): True}
