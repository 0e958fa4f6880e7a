"""Runs that wait for a person, through the real worker and the real agent server.

The synthetic runtime asks (``ask``) after its steps; answered, it plays the
rest of its script and its result carries the answer. What is checked is
what a person relies on: the run waits holding nothing (no worker thread,
no agent-server stream, no lease), the wait survives restarts of the worker
and the api, the first answer wins, and the resumed run goes on from the
pause instead of starting again.
"""

from pathlib import Path

import httpx
import pytest
from rest_framework.authtoken.models import Token

from runs import services
from runs.models import AgentExecution, Interrupt
from testsupport import wait_until
from testsupport.sockets import wait_for_status
from testsupport.stack import start_api

ASK = {"question": "Which colour?", "choices": ["red", "blue"]}
ASKING = {"steps": 2, "tokens": 3, "ask": ASK}
ENDED = ["completed", "failed", "stopped"]


def event_types(execution):
    return list(execution.events.order_by("seq").values_list("event_type", flat=True))


def test_a_question_parks_the_run_and_the_answer_resumes_it_from_the_pause(worker, make_agent, owner):
    agent = make_agent(config=ASKING)
    execution = services.start_execution(agent, {"q": 1})

    parked = wait_for_status(execution.id, ENDED + ["waiting_input"], timeout=30)
    assert parked.status == "waiting_input", parked.error_message
    assert (parked.worker, parked.lease_expires_at) == ("", None)
    interrupt = Interrupt.objects.get(execution=execution)
    assert (interrupt.kind, interrupt.payload) == ("ask_human", ASK)

    services.answer_interrupt(interrupt, "blue", owner)
    done = wait_for_status(execution.id, ENDED, timeout=30)

    assert done.status == "completed", done.error_message
    assert done.output_data["answer"] == "blue"
    assert done.output_data["text"] == "tok1 tok2 tok3 "
    types = event_types(done)
    # Each step once: the resumed run did not play the script from the start.
    assert types == [
        "execution_started", "progress", "step", "progress", "step", "execution_interrupted",
        "execution_resumed", "token", "token", "token", "execution_completed",
    ]
    assert list(done.events.order_by("seq").values_list("seq", flat=True)) == list(range(1, len(types) + 1))


@pytest.fixture
def token(owner):
    return Token.objects.create(user=owner).key


def test_an_answer_given_after_the_worker_and_the_api_restarted_resumes_the_run(
    worker, worker_pool, platform_env, make_agent, token
):
    agent = make_agent(config=ASKING)
    api = start_api(platform_env)
    try:
        headers = {"Authorization": f"Token {token}"}
        started = httpx.post(f"{api.url}/api/agents/{agent.id}/executions/", json={"input_data": {}}, headers=headers)
        assert started.status_code == 201, started.text
        execution_id = started.json()["id"]
        assert wait_for_status(execution_id, ENDED + ["waiting_input"], timeout=30).status == "waiting_input"
    finally:
        api.stop()
    worker.stop()  # nothing of the run is left in either process

    worker_pool.ensure()
    api = start_api(platform_env)
    try:
        interrupts = httpx.get(f"{api.url}/api/interrupts/?open=true", headers=headers).json()["results"]
        assert [item["execution"] for item in interrupts] == [execution_id]
        answer_url = f"{api.url}/api/interrupts/{interrupts[0]['id']}/answer/"
        first = httpx.post(answer_url, json={"answer": "red"}, headers=headers)
        second = httpx.post(answer_url, json={"answer": "blue"}, headers=headers)
    finally:
        api.stop()

    assert first.status_code == 200, first.text
    assert (second.status_code, second.json()["code"]) == (409, "already_answered")
    done = wait_for_status(execution_id, ENDED, timeout=30)
    assert (done.status, done.output_data["answer"]) == ("completed", "red")


def worker_threads(worker):
    return len(list(Path(f"/proc/{worker.pid}/task").iterdir()))


def test_a_thousand_waiting_runs_hold_no_worker_thread_and_no_agent_stream(
    worker, make_agent, owner, agent_server
):
    agent = make_agent(config={"steps": 0, "tokens": 0, "ask": {"question": "Go on?"}})
    # The first fifty: the worker's run host (its loop, its writer) and its
    # pool's threads (four, started as tasks overlap) are all up by then.
    executions = [services.start_execution(agent, {"n": n}) for n in range(1050)]
    parked = lambda count: lambda: AgentExecution.objects.filter(status="waiting_input").count() >= count  # noqa: E731
    wait_until(parked(50), timeout=60, interval=0.2, description="50 runs waiting")
    threads_at_50 = worker_threads(worker)
    wait_until(parked(1050), timeout=240, interval=0.5, description="1,050 runs waiting")

    assert worker_threads(worker) == threads_at_50 < 20
    assert httpx.get(f"{agent_server.url}/health").json()["active_runs"] == 0
    assert not AgentExecution.objects.filter(lease_expires_at__isnull=False).exists()
    # The worker is free for other work: a run that asks nothing completes at once.
    plain = services.start_execution(make_agent(name="Plain", config={"steps": 1, "tokens": 1}), {})
    assert wait_for_status(plain.id, ENDED, timeout=30).status == "completed"
    # And any of them goes on when answered.
    for execution in executions[:20]:
        services.answer_interrupt(Interrupt.objects.get(execution=execution), "yes", owner)
    for execution in executions[:20]:
        assert wait_for_status(execution.id, ENDED, timeout=60).output_data["answer"] == "yes"
