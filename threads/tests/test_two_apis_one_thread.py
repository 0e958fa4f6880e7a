"""Two api processes taking messages for one thread at the same moment: one run at a time, whatever the strategy."""

import concurrent.futures

import httpx
import pytest
from django.db.models import Min

from agents.tokens import issue_token
from runs.models import AgentExecution
from runs.services import stop_execution
from testsupport import wait_until
from testsupport.stack import start_api
from threads.models import Message, Thread

pytestmark = pytest.mark.usefixtures("worker")

POSTS_PER_API = 4


@pytest.fixture(scope="module")
def two_apis(platform_env):
    apis = [start_api(platform_env), start_api(platform_env)]
    yield apis
    for api in apis:
        api.stop()


def post_all_at_once(apis, user, thread, strategy):
    """POSTS_PER_API messages to each api at once; returns (status code, body) in the order they were sent."""
    headers = {"Authorization": f"Token {issue_token(user).key}"}
    targets = [api for _ in range(POSTS_PER_API) for api in apis]
    barrier = concurrent.futures.ThreadPoolExecutor(len(targets))

    def post(numbered):
        n, api = numbered
        response = httpx.post(f"{api.url}/api/threads/{thread.id}/messages/", headers=headers, timeout=60,
                              json={"content": f"message {n}", "multitask_strategy": strategy}, trust_env=False)
        return response.status_code, response.json()

    with barrier:
        return list(barrier.map(post, enumerate(targets)))


def settled(thread):
    """The thread's runs once none is unfinished (in turn order of their messages)."""
    wait_until(
        lambda: not AgentExecution.objects.filter(thread=thread, status__in=["queued", "pending", "running"]).exists(),
        timeout=120, interval=0.1, description="every run of the thread has ended",
    )
    runs = AgentExecution.objects.filter(thread=thread).annotate(turn=Min("messages__turn"))
    return list(runs.order_by("turn"))


def assert_one_at_a_time(runs):
    ran = sorted((run for run in runs if run.started_at), key=lambda run: run.started_at)
    for before, after in zip(ran, ran[1:]):
        assert before.completed_at <= after.started_at, (before.id, after.id)


@pytest.fixture
def slow_thread(owner, make_agent):
    def make(strategy, tokens=10):
        agent = make_agent(config={"steps": 2, "tokens": tokens, "delay_ms": 30})
        return Thread.objects.create(owner=owner, agent=agent, multitask_strategy=strategy)

    return make


def test_reject_lets_exactly_one_message_through(two_apis, owner, slow_thread):
    thread = slow_thread("reject", tokens=1000)  # still running when the last message comes in

    answers = post_all_at_once(two_apis, owner, thread, "reject")

    codes = sorted(code for code, _ in answers)
    assert codes == [201] + [409] * (len(answers) - 1), answers
    assert {body["code"] for code, body in answers if code == 409} == {"thread_busy"}
    assert Message.objects.filter(thread=thread, role="user").count() == 1
    stop_execution(AgentExecution.objects.get(thread=thread))
    assert [run.status for run in settled(thread)] == ["stopped"]


def test_enqueue_runs_every_message_once_in_the_order_they_were_taken(two_apis, owner, slow_thread):
    thread = slow_thread("enqueue")

    answers = post_all_at_once(two_apis, owner, thread, "enqueue")

    assert {code for code, _ in answers} == {201}, answers
    runs = settled(thread)
    assert [run.status for run in runs] == ["completed"] * len(answers)
    assert_one_at_a_time(runs)
    assert sorted(runs, key=lambda run: run.started_at) == runs  # in turn order
    roles = Message.objects.filter(thread=thread).order_by("turn", "id").values_list("role", flat=True)
    assert list(roles) == ["user", "assistant"] * len(answers)


def test_interrupt_keeps_every_message_and_answers_the_last(two_apis, owner, slow_thread):
    thread = slow_thread("interrupt")

    answers = post_all_at_once(two_apis, owner, thread, "interrupt")

    assert {code for code, _ in answers} == {201}, answers
    runs = settled(thread)
    assert_one_at_a_time(runs)
    # Each message stops the runs still unfinished when it is taken (one may
    # have completed just before the next came in); the last one is answered.
    assert runs[-1].status == "completed"
    assert {run.status for run in runs[:-1]} <= {"stopped", "completed"}
    assert "stopped" in {run.status for run in runs[:-1]}
    assert Message.objects.filter(thread=thread, role="user").count() == len(answers)


def test_rollback_leaves_no_trace_of_the_runs_it_cut_short(two_apis, owner, slow_thread):
    thread = slow_thread("rollback")

    answers = post_all_at_once(two_apis, owner, thread, "rollback")

    assert {code for code, _ in answers} == {201}, answers
    runs = settled(thread)
    assert_one_at_a_time(runs)
    # What was unfinished when a message came in is gone; what had completed stays.
    assert {run.status for run in runs} == {"completed"}
    assert len(runs) < len(answers)
    roles = Message.objects.filter(thread=thread).order_by("turn", "id").values_list("role", flat=True)
    assert list(roles) == ["user", "assistant"] * len(runs)
