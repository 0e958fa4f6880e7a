"""Threads through the whole platform: the real worker, the real agent server and its real local model."""

import pytest

from runs.models import AgentExecution
from testsupport.sockets import wait_for_status
from threads.models import Message, Thread
from threads.selectors import threads_visible_to
from threads.services import post_message

pytestmark = pytest.mark.usefixtures("worker")


def answer(thread, content, **options):
    _, execution = post_message(thread, content, **options)
    finished = wait_for_status(execution.id, ["completed", "failed", "stopped"], timeout=180)
    assert finished.status == "completed", finished.error_message
    return Message.objects.get(execution=finished, role="assistant").content


def test_the_third_answer_knows_what_was_said_in_the_first_turn(owner, make_agent):
    agent = make_agent(name="Chat", runtime="chat", config={"max_tokens": 24, "temperature": 0})
    thread = Thread.objects.create(owner=owner, agent=agent)

    answer(thread, "My name is Sophie. Please remember my name.")
    answer(thread, "What is the capital of France?")
    third = answer(thread, "What is my name?")

    assert "sophie" in third.lower(), third
    # Without the conversation, the same model does not know it.
    alone = Thread.objects.create(owner=owner, agent=agent)
    assert "sophie" not in answer(alone, "What is my name?").lower()


def test_enqueued_messages_run_one_at_a_time_in_the_order_they_came(make_agent, owner):
    agent = make_agent(config={"steps": 2, "tokens": 5, "delay_ms": 20})
    thread = Thread.objects.create(owner=owner, agent=agent, multitask_strategy="enqueue")

    executions = [post_message(thread, f"message {n}")[1] for n in range(4)]

    finished = [wait_for_status(execution.id, "completed", timeout=60) for execution in executions]
    for before, after in zip(finished, finished[1:]):
        assert before.completed_at <= after.started_at
    conversation = Message.objects.filter(thread=thread).order_by("turn", "id").values_list("role", "execution")
    assert list(conversation) == [(role, e.id) for e in executions for role in ("user", "assistant")]
    assert not AgentExecution.objects.filter(thread=thread).exclude(status="completed").exists()


def test_the_next_message_answers_the_question_the_run_waits_on(make_agent, owner):
    agent = make_agent(config={"steps": 1, "tokens": 2, "ask": {"question": "Which colour?"}})
    thread = Thread.objects.create(owner=owner, agent=agent)
    _, execution = post_message(thread, "Paint it")
    wait_for_status(execution.id, ["waiting_input", "completed", "failed", "stopped"], timeout=30)
    assert threads_visible_to(owner).get(id=thread.id).status == "interrupted"

    _, answered = post_message(thread, "blue", user=owner)

    assert answered.id == execution.id
    done = wait_for_status(execution.id, ["completed", "failed", "stopped"], timeout=30)
    assert (done.status, done.output_data["answer"]) == ("completed", "blue")
    conversation = Message.objects.filter(thread=thread).order_by("turn", "id").values_list("role", "content")
    assert list(conversation) == [
        ("user", "Paint it"), ("assistant", "Which colour?"), ("user", "blue"), ("assistant", "tok1 tok2 ")
    ]
    assert threads_visible_to(owner).get(id=thread.id).status == "idle"
