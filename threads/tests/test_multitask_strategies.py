"""One active run per thread, held by the database, and what a message does while a run is unfinished."""

import pytest
from django.db import IntegrityError, transaction

from runs import services as runs_services
from runs import tasks
from runs.models import AgentExecution
from threads.models import Message
from threads.selectors import threads_visible_to
from threads.services import post_message

pytestmark = pytest.mark.django_db


def status_of(thread):
    return threads_visible_to(thread.owner).get(id=thread.id).status


def statuses(*executions):
    return [AgentExecution.objects.get(id=execution.id).status for execution in executions]


def finish(execution):
    """What a worker does with a run: claim it, complete it; then its run_finished task."""
    runs_services.claim_execution(execution.id)
    runs_services.complete_execution(execution.id, {"text": f"answer to {execution.input_data['message']}"})
    tasks.run_finished(str(execution.id))


def test_the_database_refuses_a_second_active_run_of_a_thread(agent, thread):
    AgentExecution.objects.create(agent=agent, thread=thread)

    with pytest.raises(IntegrityError), transaction.atomic():
        AgentExecution.objects.create(agent=agent, thread=thread)
    AgentExecution.objects.create(agent=agent, thread=thread, status="queued")  # waiting is allowed
    AgentExecution.objects.create(agent=agent)  # and runs of no thread are not limited


def test_reject_refuses_a_message_while_the_thread_runs_and_stores_nothing(api_as, owner, thread):
    _, first = post_message(thread, "one")

    refused = api_as(owner).post(f"/api/threads/{thread.id}/messages/", {"content": "two"}, format="json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "thread_busy"
    assert list(Message.objects.values_list("content", flat=True)) == ["one"]
    assert AgentExecution.objects.count() == 1
    finish(first)
    assert post_message(thread, "two")[1].status == "pending"  # free again once the run ended


def test_enqueue_runs_each_message_after_the_one_before_in_order(thread):
    _, first = post_message(thread, "one")
    _, second = post_message(thread, "two", multitask_strategy="enqueue")
    _, third = post_message(thread, "three", multitask_strategy="enqueue")

    assert statuses(first, second, third) == ["pending", "queued", "queued"]
    assert status_of(thread) == "busy"
    finish(first)
    assert statuses(second, third) == ["pending", "queued"]
    finish(second)
    assert statuses(third) == ["pending"]
    finish(third)
    assert status_of(thread) == "idle"
    conversation = list(Message.objects.filter(thread=thread).order_by("turn", "id").values_list("role", "content"))
    assert conversation == [
        ("user", "one"), ("assistant", "answer to one"),
        ("user", "two"), ("assistant", "answer to two"),
        ("user", "three"), ("assistant", "answer to three"),
    ]


def test_a_queued_message_waits_behind_a_queue_even_when_the_thread_looks_free(thread):
    _, first = post_message(thread, "one")
    _, second = post_message(thread, "two", multitask_strategy="enqueue")
    runs_services.claim_execution(first.id)
    runs_services.complete_execution(first.id, {"text": "done"})  # its run_finished not run yet

    _, third = post_message(thread, "three", multitask_strategy="enqueue")

    assert statuses(second, third) == ["queued", "queued"]
    assert runs_services.sweep_executions()["dequeued"] == 1  # the sweep starts what the hook did not
    assert statuses(second, third) == ["pending", "queued"]


def test_interrupt_stops_the_unfinished_runs_keeps_them_and_runs_the_new_message_next(thread):
    _, running = post_message(thread, "one")
    runs_services.claim_execution(running.id)
    _, queued = post_message(thread, "two", multitask_strategy="enqueue")

    _, latest = post_message(thread, "three", multitask_strategy="interrupt")

    assert statuses(running, queued, latest) == ["running", "stopped", "queued"]
    assert AgentExecution.objects.get(id=running.id).stop_requested_at is not None
    runs_services.confirm_stopped(running.id)  # the worker closed the stream
    tasks.run_finished(str(running.id))
    assert statuses(running, latest) == ["stopped", "pending"]
    assert Message.objects.filter(thread=thread).count() == 3  # stopped runs keep their messages


def test_rollback_deletes_the_unfinished_runs_and_their_messages_and_starts_at_once(thread):
    post_message(thread, "kept")
    finish(AgentExecution.objects.get())
    _, running = post_message(thread, "one")
    runs_services.claim_execution(running.id)
    _, queued = post_message(thread, "two", multitask_strategy="enqueue")

    _, latest = post_message(thread, "three", multitask_strategy="rollback")

    assert not AgentExecution.objects.filter(id__in=[running.id, queued.id]).exists()
    assert statuses(latest) == ["pending"]
    contents = list(Message.objects.filter(thread=thread).order_by("turn", "id").values_list("content", flat=True))
    assert contents == ["kept", "answer to kept", "three"]
    # The rolled-back run's worker finds nothing left to write to.
    assert runs_services.complete_execution(running.id, {"text": "late"}) is None


def test_a_failed_last_run_shows_the_thread_in_error_until_the_next_one(thread):
    _, execution = post_message(thread, "one")
    runs_services.claim_execution(execution.id)
    runs_services.fail_execution(execution.id, "It broke.", "agent_error")

    assert status_of(thread) == "error"
    post_message(thread, "again")
    assert status_of(thread) == "busy"


def test_a_queued_run_can_be_stopped_before_it_starts(api_as, owner, thread):
    post_message(thread, "one")
    _, queued = post_message(thread, "two", multitask_strategy="enqueue")

    stopped = api_as(owner).post(f"/api/executions/{queued.id}/stop/")

    assert stopped.status_code == 202 and stopped.json()["status"] == "stopped"
    assert statuses(queued) == ["stopped"]


# --- While the thread's run waits for a person ----------------------------------------


def park(execution, kind="ask_human", payload=None):
    """What a worker does with a run whose agent asks: claim it, park it on an interrupt."""
    runs_services.claim_execution(execution.id)
    return runs_services.interrupt_execution(execution.id, kind, payload or {"question": "Which colour?"}, {})


def test_a_waiting_thread_is_interrupted_and_its_next_message_is_the_answer(api_as, owner, thread):
    _, first = post_message(thread, "Paint it")
    park(first)
    assert status_of(thread) == "interrupted"

    posted = api_as(owner).post(f"/api/threads/{thread.id}/messages/", {"content": "blue"}, format="json")

    assert posted.status_code == 201, posted.json()
    assert posted.json()["execution"]["id"] == str(first.id)
    interrupt = first.interrupts.get()
    assert (interrupt.answer, interrupt.answered_by) == ("blue", owner)
    assert status_of(thread) == "busy"  # answered: it waits for a worker only
    assert AgentExecution.objects.count() == 1
    messages = Message.objects.order_by("turn", "id").values_list("role", "content", "execution")
    assert list(messages) == [("user", "Paint it", first.id), ("assistant", "Which colour?", first.id),
                              ("user", "blue", first.id)]


def test_a_message_to_a_waiting_tool_confirmation_rejects_the_call_with_it_as_the_reason(owner, thread):
    _, first = post_message(thread, "Compute")
    park(first, "confirm_tool", {"tool": "calculator", "arguments": {"expression": "1/0"}})

    post_message(thread, "Not that one", user=owner)

    assert first.interrupts.get().answer == {"action": "reject", "reason": "Not that one"}


def test_an_answer_that_does_not_fit_is_a_400_on_the_content(api_as, owner, thread):
    _, first = post_message(thread, "Paint it")
    park(first, payload={"question": "Which colour?", "choices": ["red", "blue"]})

    refused = api_as(owner).post(f"/api/threads/{thread.id}/messages/", {"content": "green"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["content"] == ["The answer must be one of: red, blue."]
    assert Message.objects.count() == 2  # the question, and the message it asked about


def test_interrupt_ends_a_waiting_run_and_starts_a_new_one(owner, thread):
    _, first = post_message(thread, "Paint it")
    park(first)

    _, second = post_message(thread, "Forget it, count to three", multitask_strategy="interrupt", user=owner)

    assert second.id != first.id
    assert statuses(first, second) == ["stopped", "pending"]
