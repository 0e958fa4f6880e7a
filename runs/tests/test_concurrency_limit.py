"""At most MAX_RUNNING_PER_USER runs of one user at once: the rest wait their turn, in order, never dropped.

Olivia (``owner``) runs against a limit of two; Oscar (``outsider``) has slots of his own.
"""

import pytest

from runs import services
from runs.models import AgentExecution
from testsupport import wait_until
from testsupport.sockets import wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)

ENDED = ["completed", "failed", "stopped"]


@pytest.fixture
def limit_of_two(settings, worker_pool):
    # The session's worker sweeps this database with no limit of its own: it
    # would let every parked run in. Stopped; the next test needing it restarts it.
    worker_pool.stop()
    settings.AGENTS = {**settings.AGENTS, "MAX_RUNNING_PER_USER": 2}


def pending(agent, count):
    return [AgentExecution.objects.create(agent=agent, dispatched_at=None) for _ in range(count)]


def parked(execution):
    return AgentExecution.objects.get(id=execution.id).parked_at is not None


def test_a_claim_past_the_limit_parks_the_run_and_the_end_of_one_lets_the_oldest_in(limit_of_two, agent):
    first, second, third, fourth = pending(agent, 4)
    assert services.claim_execution(first.id) and services.claim_execution(second.id)

    assert services.claim_execution(fourth.id) is None
    assert services.claim_execution(third.id) is None
    assert parked(third) and parked(fourth)
    assert AgentExecution.objects.get(id=third.id).status == "pending"

    services.complete_execution(first.id, {"text": "done"})

    # The freed slot is the oldest parked run's: dispatched (off the worker's thread), no longer parked.
    wait_until(lambda: not parked(third), timeout=5, description="the oldest parked run is let in")
    assert parked(fourth)
    assert services.claim_execution(third.id).status == "running"
    assert services.claim_execution(fourth.id) is None


def test_a_newer_run_does_not_jump_an_older_parked_one(limit_of_two, agent):
    first, second, third, fourth = pending(agent, 4)
    services.claim_execution(first.id)
    services.claim_execution(second.id)
    assert services.claim_execution(third.id) is None
    # A slot frees without the wake-up reaching the parked run (say, it was lost).
    AgentExecution.objects.filter(id=first.id).update(status="completed")

    assert services.claim_execution(fourth.id) is None  # the slot is the older run's
    assert not parked(third)  # and it was sent for
    assert services.claim_execution(third.id).status == "running"


def test_runs_that_wait_for_a_person_take_no_slot(limit_of_two, agent, owner):
    first, second, third = pending(agent, 3)
    for execution in (first, second):
        services.claim_execution(execution.id)
        services.interrupt_execution(execution.id, "ask_human", {"question": "?"}, {})

    assert services.claim_execution(third.id).status == "running"


def test_each_user_has_slots_of_their_own(limit_of_two, agent, make_agent, outsider):
    for execution in pending(agent, 2):
        services.claim_execution(execution.id)
    (his,) = pending(make_agent(user=outsider, name="Oscar's"), 1)

    assert services.claim_execution(his.id).status == "running"


def test_the_sweep_lets_in_a_parked_run_whose_wake_up_was_lost(limit_of_two, agent):
    first, second, third = pending(agent, 3)
    services.claim_execution(first.id)
    services.claim_execution(second.id)
    services.claim_execution(third.id)
    AgentExecution.objects.filter(id=first.id).update(status="failed")

    assert services.sweep_executions()["admitted"] == 1
    assert not parked(third)
    assert services.sweep_executions()["admitted"] == 0


def test_a_parked_run_is_not_sent_again_by_the_redispatch(limit_of_two, agent, settings):
    settings.AGENTS = {**settings.AGENTS, "PENDING_REDISPATCH_SECONDS": 0.1}
    first, second, third = pending(agent, 3)
    for execution in (first, second, third):
        services.claim_execution(execution.id)

    assert services.redispatch_pending() == 0


def test_a_start_that_will_not_wait_is_refused_with_429_when_every_slot_is_taken(limit_of_two, api_as, owner, agent):
    client = api_as(owner)
    url = f"/api/agents/{agent.id}/executions/"
    for _ in range(2):
        assert client.post(url, {"input_data": {}}, format="json").status_code == 201

    refused = client.post(url, {"input_data": {}, "on_limit": "reject"}, format="json")
    waits = client.post(url, {"input_data": {}}, format="json")
    bad = client.post(url, {"input_data": {}, "on_limit": "sometimes"}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (429, "concurrency_limit")
    assert waits.status_code == 201
    assert bad.status_code == 400 and "on_limit" in bad.json()
    assert AgentExecution.objects.count() == 3


def test_through_the_worker_no_more_than_two_run_at_once_and_every_one_runs(worker_pool, transactional_db, make_agent):
    worker_pool.ensure(MAX_RUNNING_PER_USER="2")
    try:
        agent = make_agent(config={"steps": 1, "tokens": 10, "delay_ms": 40})
        executions = [services.start_execution(agent, {"n": n}) for n in range(6)]
        done = [wait_for_status(execution.id, ENDED, timeout=60) for execution in executions]
    finally:
        worker_pool.ensure()

    assert {execution.status for execution in done} == {"completed"}
    spans = [(execution.started_at, execution.completed_at) for execution in done]
    for start, _ in spans:
        assert sum(1 for begin, end in spans if begin <= start < end) <= 2
