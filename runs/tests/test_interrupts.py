"""Waiting for a person: the moves of an execution through an interrupt, and the REST answer.

The worker's part (the agent server's ``interrupt`` ending a stream, the
resumed run) is in test_interrupts_run.py; here the services are called as
the worker calls them.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from contract.interrupts import InvalidAnswer
from runs import services
from runs.models import AgentExecution, Interrupt
from runs.worker.stream import execution_request

pytestmark = pytest.mark.django_db

QUESTION = {"question": "Which colour?", "choices": ["red", "blue"]}


def waiting(agent, kind="ask_human", payload=QUESTION, state=None):
    """An execution its worker parked on an interrupt, and that interrupt."""
    execution = AgentExecution.objects.create(agent=agent, input_data={"q": 1})
    services.claim_execution(execution.id)
    parked = services.interrupt_execution(execution.id, kind, payload, state or {"after": 2})
    return parked, parked.interrupts.get()


def history(execution):
    return list(execution.events.order_by("seq").values_list("seq", "event_type"))


def test_an_interrupted_run_waits_holding_no_worker_and_no_lease(agent):
    execution, interrupt = waiting(agent)

    assert (execution.status, execution.worker, execution.lease_expires_at) == ("waiting_input", "", None)
    assert execution.dispatched_at is None
    assert history(execution) == [(1, "execution_started"), (2, "execution_interrupted")]
    assert execution.events.get(seq=2).content == {
        "interrupt": {"id": str(interrupt.id), "kind": "ask_human", "payload": QUESTION}
    }
    assert interrupt.expires_at > timezone.now() + timedelta(days=6)
    # Nothing for the reaper: no lease.
    assert services.reap_executions() == 0


def test_an_answer_is_recorded_once_and_the_claim_resumes_the_run_with_it(agent, owner):
    execution, interrupt = waiting(agent)

    services.answer_interrupt(interrupt, " blue ", owner)
    with pytest.raises(services.AlreadyAnswered):
        services.answer_interrupt(interrupt, "red", owner)

    interrupt.refresh_from_db()
    assert (interrupt.answer, interrupt.answered_by) == ("blue", owner)
    resumed = services.claim_execution(execution.id)
    assert resumed.status == "running"
    assert resumed.started_at == execution.started_at
    assert resumed.events.get(seq=3).content == {"interrupt_id": str(interrupt.id)}
    assert services.claim_execution(execution.id) is None  # a duplicate task
    request = execution_request(resumed)
    assert request["resume"] == {
        "interrupt_id": str(interrupt.id), "kind": "ask_human", "payload": QUESTION, "state": {"after": 2},
        "answer": "blue",
    }


def test_a_run_that_never_waited_gets_no_resume(agent):
    execution = AgentExecution.objects.create(agent=agent)

    assert "resume" not in execution_request(services.claim_execution(execution.id))


def test_an_unanswered_waiting_run_cannot_be_claimed(agent):
    execution, _ = waiting(agent)

    assert services.claim_execution(execution.id) is None


@pytest.mark.parametrize(
    ("kind", "payload", "answer", "message"),
    [
        ("ask_human", QUESTION, "green", "The answer must be one of: red, blue."),
        ("ask_human", {"question": "?"}, "  ", "The answer must be a non-empty string."),
        ("confirm_tool", {"tool": "calculator", "arguments": {}}, "yes", 'The answer must be {"action": '),
        ("confirm_tool", {"tool": "calculator", "arguments": {}}, {"action": "edit", "arguments": [1]},
         'An edit needs the new "arguments"'),
    ],
)
def test_an_answer_that_does_not_fit_is_refused_and_the_run_still_waits(agent, owner, kind, payload, answer, message):
    execution, interrupt = waiting(agent, kind, payload)

    with pytest.raises(InvalidAnswer) as refusal:
        services.answer_interrupt(interrupt, answer, owner)

    assert refusal.value.fields["answer"][0].startswith(message)
    execution.refresh_from_db()
    assert (execution.status, execution.dispatched_at) == ("waiting_input", None)


def test_a_stop_ends_a_waiting_run_at_once_and_a_late_answer_is_refused(agent, owner):
    execution, interrupt = waiting(agent)

    stopped = services.stop_execution(execution)

    assert stopped.status == "stopped"
    assert stopped.events.order_by("seq").last().content == {"message": "Stopped while it waited for an answer."}
    with pytest.raises(services.InterruptClosed):
        services.answer_interrupt(interrupt, "red", owner)


def test_a_stop_requested_while_the_agent_asks_wins(agent):
    execution = AgentExecution.objects.create(agent=agent)
    services.claim_execution(execution.id)
    services.stop_execution(execution)

    ended = services.interrupt_execution(execution.id, "ask_human", QUESTION, {})

    assert ended.status == "stopped"
    assert not Interrupt.objects.exists()


def test_an_interrupt_unanswered_past_its_expiry_fails_the_run(agent, owner):
    execution, interrupt = waiting(agent)
    answered, answered_interrupt = waiting(agent)
    services.answer_interrupt(answered_interrupt, "red", owner)
    Interrupt.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert services.sweep_executions()["expired"] == 1

    execution.refresh_from_db()
    assert (execution.status, execution.error_code) == ("failed", "interrupt_expired")
    assert execution.events.order_by("seq").last().event_type == "execution_error"
    answered.refresh_from_db()
    assert answered.status == "waiting_input"  # answered in time: it waits for a worker only
    with pytest.raises(services.InterruptClosed):
        services.answer_interrupt(interrupt, "red", owner)


def test_an_answered_run_whose_task_was_lost_is_sent_again(agent, owner, settings):
    execution, interrupt = waiting(agent)
    services.answer_interrupt(interrupt, "red", owner)
    AgentExecution.objects.filter(id=execution.id).update(dispatched_at=timezone.now() - timedelta(hours=1))

    assert services.redispatch_pending() == 1


def test_a_resumed_run_lost_before_its_next_event_waits_again_answered(agent, owner):
    execution, interrupt = waiting(agent)
    services.answer_interrupt(interrupt, "red", owner)
    services.claim_execution(execution.id)

    requeued = services.give_up_execution(execution.id, code="worker_lost", message="lost")

    assert (requeued.status, requeued.attempt) == ("waiting_input", 2)
    assert requeued.dispatched_at is not None
    again = services.claim_execution(execution.id)
    assert execution_request(again)["resume"]["answer"] == "red"
    assert [event for _, event in history(again)][-3:] == [
        "execution_resumed", "execution_requeued", "execution_resumed"
    ]


# --- REST ----------------------------------------------------------------------------


def answer_url(interrupt):
    return f"/api/interrupts/{interrupt.id}/answer/"


def test_the_owner_lists_and_answers_an_interrupt_and_a_second_answer_is_409(api_as, owner, agent):
    _, interrupt = waiting(agent)
    client = api_as(owner)

    listed = client.get("/api/interrupts/?open=true").json()["results"]
    assert [(item["id"], item["status"], item["kind"]) for item in listed] == [(str(interrupt.id), "open", "ask_human")]
    assert "state" not in listed[0]

    first = client.post(answer_url(interrupt), {"answer": "red"}, format="json")
    second = client.post(answer_url(interrupt), {"answer": "blue"}, format="json")

    assert first.status_code == 200, first.json()
    assert (first.json()["status"], first.json()["answer"], first.json()["answered_by"]) == ("answered", "red", owner.username)
    assert second.status_code == 409
    assert second.json()["code"] == "already_answered"
    assert client.get("/api/interrupts/?open=true").json()["results"] == []


def test_a_bad_answer_is_a_400_naming_the_field(api_as, owner, agent):
    _, interrupt = waiting(agent)

    missing = api_as(owner).post(answer_url(interrupt), {}, format="json")
    wrong = api_as(owner).post(answer_url(interrupt), {"answer": "green"}, format="json")

    assert missing.status_code == 400 and "answer" in missing.json()
    assert wrong.status_code == 400
    assert wrong.json()["answer"] == ["The answer must be one of: red, blue."]


def test_someone_elses_interrupt_is_not_found(api_as, outsider, agent):
    _, interrupt = waiting(agent)

    assert api_as(outsider).get(f"/api/interrupts/{interrupt.id}/").status_code == 404
    assert api_as(outsider).post(answer_url(interrupt), {"answer": "red"}, format="json").status_code == 404
    assert api_as(outsider).get("/api/interrupts/").json()["results"] == []


def test_staff_see_an_interrupt_but_answering_it_takes_the_permission(api_as, staff, agent):
    _, interrupt = waiting(agent)

    assert api_as(staff).get(f"/api/interrupts/{interrupt.id}/").status_code == 200
    refused = api_as(staff).post(answer_url(interrupt), {"answer": "red"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")


def test_the_execution_of_a_waiting_run_says_waiting_input(api_as, owner, agent):
    execution, _ = waiting(agent)

    body = api_as(owner).get(f"/api/executions/{execution.id}/").json()
    assert body["status"] == "waiting_input"
    events = api_as(owner).get(f"/api/executions/{execution.id}/events/").json()["results"]
    assert events[-1]["type"] == "execution_interrupted"
    assert events[-1]["interrupt"]["payload"] == QUESTION
