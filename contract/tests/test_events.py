"""The event vocabulary: the check every agent event from the agent server passes, and the builders."""

import pytest

from contract import events
from contract.events import AGENT_EVENT_FIELDS, MalformedEvent, check_agent_event


def test_the_terminal_lifecycle_types_are_completed_error_and_stopped():
    assert events.TERMINAL_TYPES == {"execution_completed", "execution_error", "execution_stopped"}
    assert events.TERMINAL_TYPES < events.LIFECYCLE_TYPES
    assert events.EXECUTION_STARTED in events.LIFECYCLE_TYPES


def test_agent_event_types_are_the_keys_of_their_fields():
    assert events.AGENT_EVENT_TYPES == set(AGENT_EVENT_FIELDS) == {
        "progress", "message", "step", "token", "tool_call", "tool_result", "memory"}
    assert not events.AGENT_EVENT_TYPES & events.LIFECYCLE_TYPES
    assert {events.RESULT, events.ERROR}.isdisjoint(events.AGENT_EVENT_TYPES)


def test_it_returns_the_content_of_a_well_formed_event():
    content = {"stage": "step", "message": "Step 1 of 2", "percent": 33}

    assert check_agent_event("progress", content) is content


def test_it_rejects_an_unknown_event_type():
    with pytest.raises(MalformedEvent, match="unknown event type 'thought'"):
        check_agent_event("thought", {})


def test_it_rejects_event_data_that_is_not_an_object():
    with pytest.raises(MalformedEvent, match="step event data is not an object"):
        check_agent_event("step", ["name", "content"])


def test_it_names_every_missing_field():
    with pytest.raises(MalformedEvent, match="tool_call event lacks tool, arguments"):
        check_agent_event("tool_call", {})


def test_it_rejects_a_token_whose_content_is_not_text():
    with pytest.raises(MalformedEvent, match="token content is not text"):
        check_agent_event("token", {"content": 7})


def test_a_malformed_event_is_a_value_error():
    assert issubclass(MalformedEvent, ValueError)


@pytest.mark.parametrize(
    "built",
    [
        events.progress("retrieving", "Searching", percent=0),
        events.done(),
        events.message("assistant", "Hi"),
        events.step("retrieval", "Found 2 passages"),
        events.token("tok1 "),
        events.tool_call("calculator", {"expression": "1+1"}),
        events.tool_result("calculator", {"result": 2}),
    ],
)
def test_every_builder_makes_an_event_the_check_accepts(built):
    event_type, data = built

    assert check_agent_event(event_type, data) == data


def test_progress_leaves_out_percent_unless_given():
    assert events.progress("generating", "Waiting") == ("progress", {"stage": "generating", "message": "Waiting"})


def test_done_is_progress_at_100_percent():
    assert events.done("Answer written") == (
        "progress", {"stage": "done", "message": "Answer written", "percent": 100})
