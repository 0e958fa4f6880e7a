"""Every move to a terminal status enqueues one run_finished after commit; the task calls the hooks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from runs import hooks, services, tasks
from runs.events import PendingEvent
from runs.models import AgentExecution

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """The execution ids run_finished was enqueued for so far (by the broker's edge, ``delay``),
    with a receiver registered."""
    monkeypatch.setattr(hooks.run_finished, "receivers", {lambda execution: None: hooks._every_run})
    ids = []
    monkeypatch.setattr(tasks.run_finished, "delay", lambda execution_id: ids.append(execution_id))

    def so_far():
        # The tasks are sent from their own thread, in order: wait for what is queued there.
        services._enqueuer.submit(lambda: None).result(timeout=5)
        return list(ids)

    return so_far


def running(agent):
    execution = AgentExecution.objects.create(agent=agent)
    return services.claim_execution(execution.id)


@pytest.mark.parametrize(
    "finish",
    [
        lambda execution: services.complete_execution(execution.id, {"text": "done"}),
        lambda execution: services.fail_execution(execution.id, "It broke.", "agent_error"),
        lambda execution: services.confirm_stopped(execution.id),
    ],
    ids=["completed", "failed", "stopped"],
)
def test_each_end_of_a_running_execution_enqueues_one_run_finished(agent, enqueued, finish, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        execution = running(agent)
    assert enqueued() == []  # starting is not an end
    with django_capture_on_commit_callbacks(execute=True):
        finish(execution)
        finish(execution)  # a second writer loses the race and enqueues nothing
    assert enqueued() == [str(execution.id)]


def test_a_pending_execution_stopped_and_a_reaped_one_enqueue_it_too(agent, enqueued, django_capture_on_commit_callbacks):
    pending = AgentExecution.objects.create(agent=agent)
    lost = running(agent)
    # Past its first agent event: reaped as failed, not started again.
    services.record_events(lost.id, [PendingEvent("token", {"content": "x"}, timezone.now())])
    AgentExecution.objects.filter(id=lost.id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.stop_execution(pending)
        services.reap_executions()
    assert sorted(enqueued()) == sorted([str(pending.id), str(lost.id)])


def test_it_is_enqueued_only_once_the_transaction_commits(agent, enqueued, django_capture_on_commit_callbacks):
    execution = running(agent)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.complete_execution(execution.id, {})
    assert enqueued() == []  # not before commit
    for callback in callbacks:
        callback()
    assert enqueued() == [str(execution.id)]


@pytest.mark.parametrize("receivers", [{}, {print: lambda execution: execution.thread_id is not None}],
                         ids=["no receiver", "a receiver for runs of threads"])
def test_nothing_is_enqueued_while_no_feature_listens(agent, monkeypatch, receivers, django_capture_on_commit_callbacks):
    monkeypatch.setattr(hooks.run_finished, "receivers", receivers)
    sent = []
    monkeypatch.setattr(tasks.run_finished, "delay", sent.append)
    execution = running(agent)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.complete_execution(execution.id, {})
    services._enqueuer.submit(lambda: None).result(timeout=5)
    assert sent == []
    assert callbacks  # the transition's broadcast still went out


def test_the_task_calls_every_receiver_once_even_when_one_fails(agent, monkeypatch):
    monkeypatch.setattr(hooks.run_finished, "receivers", {})
    seen = []

    @hooks.on_run_finished
    def broken(execution):
        raise RuntimeError("a receiver's own bug")

    @hooks.on_run_finished
    def record(execution):
        seen.append((execution.id, execution.status))

    execution = running(agent)
    tasks.run_finished(str(execution.id))  # not finished yet: nothing to call
    services.complete_execution(execution.id, {})
    tasks.run_finished(str(execution.id))

    assert seen == [(execution.id, "completed")]


def test_a_receiver_is_called_only_for_the_runs_it_is_for(agent, monkeypatch):
    monkeypatch.setattr(hooks.run_finished, "receivers", {})
    seen = []
    hooks.on_run_finished(seen.append, when=lambda execution: execution.input_data.get("mine"))

    for input_data in ({"mine": True}, {}):
        execution = services.claim_execution(AgentExecution.objects.create(agent=agent, input_data=input_data).id)
        services.complete_execution(execution.id, {})
        tasks.run_finished(str(execution.id))

    assert [execution.input_data for execution in seen] == [{"mine": True}]


def test_a_pause_for_a_person_enqueues_one_run_paused_and_its_task_calls_those_receivers(
    agent, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []
    monkeypatch.setattr(hooks.run_paused, "receivers", {})
    monkeypatch.setattr(hooks.run_finished, "receivers", {})
    hooks.on_run_paused(seen.append)
    sent = []
    monkeypatch.setattr(tasks.run_paused, "delay", sent.append)
    execution = running(agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.interrupt_execution(execution.id, "ask_human", {"question": "Which colour?"}, {})
    services._enqueuer.submit(lambda: None).result(timeout=5)
    tasks.run_paused(sent[0])

    assert sent == [str(execution.id)]
    assert [(paused.id, paused.status) for paused in seen] == [(execution.id, "waiting_input")]
