"""What a run of a thread is given (the conversation before it, within a token budget) and what it adds back."""

import pytest

from runs import services as runs_services
from runs.models import AgentExecution
from runs.worker.stream import execution_request
from threads.models import Message
from threads.selectors import estimated_tokens, history_for
from threads.services import post_message

pytestmark = pytest.mark.django_db


def answered(thread, question, output):
    _, execution = post_message(thread, question)
    runs_services.claim_execution(execution.id)
    runs_services.complete_execution(execution.id, output)
    return execution


def test_a_run_gets_the_earlier_turns_as_messages_and_its_own_as_the_message(thread):
    answered(thread, "My name is Ada.", {"text": "Hello Ada."})
    _, execution = post_message(thread, "What is my name?")

    request = execution_request(AgentExecution.objects.select_related("agent").get(id=execution.id))

    assert request["input_data"] == {
        "message": "What is my name?",
        "messages": [{"role": "user", "content": "My name is Ada."}, {"role": "assistant", "content": "Hello Ada."}],
    }
    assert AgentExecution.objects.get(id=execution.id).input_data == {"message": "What is my name?"}  # as asked


def test_the_oldest_turns_are_dropped_first_to_keep_within_the_budget(thread, settings):
    for n in range(6):
        answered(thread, f"question {n} " + "x" * 200, {"text": f"answer {n} " + "y" * 200})
    _, execution = post_message(thread, "last")
    per_message = estimated_tokens("question 0 " + "x" * 200)
    settings.AGENTS = {**settings.AGENTS, "THREAD_HISTORY_TOKENS": per_message * 4 + 1}

    history = history_for(execution)

    assert [m["content"].split(" ")[:2] for m in history] == [
        ["question", "4"], ["answer", "4"], ["question", "5"], ["answer", "5"],
    ]
    settings.AGENTS = {**settings.AGENTS, "THREAD_HISTORY_TOKENS": 0}
    assert history_for(execution) == []


def test_a_queued_run_sees_the_answers_that_came_in_while_it_waited(thread):
    _, first = post_message(thread, "one")
    _, second = post_message(thread, "two", multitask_strategy="enqueue")
    runs_services.claim_execution(first.id)
    runs_services.complete_execution(first.id, {"text": "answer one"})

    assert history_for(second) == [{"role": "user", "content": "one"}, {"role": "assistant", "content": "answer one"}]


def test_a_completed_run_stores_its_tool_calls_and_its_answer_in_the_thread(thread):
    execution = answered(thread, "What is 6*7?", {
        "text": "42.",
        "tool_calls": [{"tool": "calculator", "arguments": {"expression": "6*7"}, "result": {"value": 42}}],
        "model": "m",
    })

    messages = list(Message.objects.filter(thread=thread).order_by("turn", "id"))
    assert [(m.role, m.content) for m in messages] == [("user", "What is 6*7?"), ("tool", '{"value": 42}'),
                                                        ("assistant", "42.")]
    assert messages[1].data == {"tool": "calculator", "arguments": {"expression": "6*7"}, "result": {"value": 42}}
    assert messages[2].data == {"model": "m"} and messages[2].execution_id == execution.id
    # Tool messages are shown, not given back to the model as history.
    _, later = post_message(thread, "And 7*8?")
    assert [m["role"] for m in history_for(later)] == ["user", "assistant"]


def test_a_run_without_text_answers_with_its_whole_result(thread):
    answered(thread, "go", {"steps": 2})

    assert Message.objects.get(role="assistant").content == '{"steps": 2}'


def test_a_run_that_fails_or_is_stopped_adds_no_answer(thread):
    _, failed = post_message(thread, "one")
    runs_services.claim_execution(failed.id)
    runs_services.fail_execution(failed.id, "It broke.", "agent_error")

    assert list(Message.objects.values_list("role", flat=True)) == ["user"]
