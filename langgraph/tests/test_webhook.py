"""A run's webhook, from the Python client's ``webhook=`` to a loopback receiver, through the real api and worker."""

import json

import pytest
from langgraph_sdk import get_sync_client

from agents.tokens import issue_token
from testsupport import wait_until
from testsupport.stack import start_api
from webhooks.services import secret_for
from webhooks.tests.test_delivery import receiver, signature_is_valid  # noqa: F401  (the receiver fixture)

ALLOWED = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}


@pytest.fixture
def allowing_api(platform_env, worker_pool, transactional_db):
    worker_pool.ensure(**ALLOWED)
    api = start_api({**platform_env, **ALLOWED})
    yield api
    api.stop()
    worker_pool.ensure()


def test_a_finished_run_posts_its_run_and_values_signed_to_its_webhook(
    allowing_api, receiver, owner, make_agent  # noqa: F811
):
    agent = make_agent(config={"steps": 1, "tokens": 3, "delay_ms": 0})
    client = get_sync_client(url=f"{allowing_api.url}/lg", api_key=issue_token(owner).key, timeout=60)
    thread = client.threads.create()

    run = client.runs.create(thread["thread_id"], str(agent.id), webhook=receiver.url(),
                             input={"messages": [{"role": "user", "content": "Hello"}]})

    wait_until(lambda: receiver.requests, timeout=60, interval=0.2, description="the webhook arrived")
    request = receiver.requests[0]
    body = json.loads(request["body"])
    assert (body["run_id"], body["status"]) == (run["run_id"], "success")
    assert body["values"]["messages"][-1]["type"] == "ai"
    assert signature_is_valid(secret_for(owner).secret, request)


def test_a_run_that_pauses_at_an_interrupt_reports_then_and_its_resume_reports_at_the_end(
    allowing_api, receiver, owner, make_agent  # noqa: F811
):
    agent = make_agent(config={"steps": 1, "tokens": 2, "delay_ms": 0, "ask": {"question": "Which colour?"}})
    client = get_sync_client(url=f"{allowing_api.url}/lg", api_key=issue_token(owner).key, timeout=60)
    thread = client.threads.create()

    asking = client.runs.create(thread["thread_id"], str(agent.id), webhook=receiver.url(),
                                input={"messages": [{"role": "user", "content": "Paint it"}]})

    # The execution still waits for the answer: the run that asked is over all the same.
    wait_until(lambda: receiver.requests, timeout=60, interval=0.2, description="the paused run's webhook arrived")
    paused = json.loads(receiver.requests[0]["body"])
    # As from LangGraph's server: the run succeeded, its thread waits at the interrupt.
    assert (paused["run_id"], paused["status"]) == (asking["run_id"], "success")
    assert client.threads.get(thread["thread_id"])["status"] == "interrupted"
    assert paused["values"]["__interrupt__"][0]["value"]["question"] == "Which colour?"

    answering = client.runs.create(thread["thread_id"], str(agent.id), webhook=receiver.url(),
                                   command={"resume": "blue"})

    wait_until(lambda: len(receiver.requests) == 2, timeout=60, interval=0.2, description="the resume's webhook")
    ended = json.loads(receiver.requests[1]["body"])
    assert (ended["run_id"], ended["status"]) == (answering["run_id"], "success")
    assert all(signature_is_valid(secret_for(owner).secret, request) for request in receiver.requests)
