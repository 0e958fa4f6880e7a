"""Runs that wait for a person: the ``interrupt`` end of a stream, and the run resumed from its state.

What a resumed run must not do is as much the point as what it does: no
model call is made again, and no tool call already made is made again.
"""

import json

import pytest

from mcp_server.providers.openai import OpenAIProvider
from mcp_server.runtimes.synthetic import script
from mcp_server.tests.helpers import (
    JSON,
    SSE,
    event_types,
    execute_body,
    resume_from,
    run_in_process,
    stream_events,
    without_model_calls,
)
from testsupport.openai_stub import text, tool_calls

ASK = {"question": "Which colour?", "choices": ["red", "blue"]}


async def run_tools(*args, **kwargs):
    """A tools run's events but its model_call steps (tests/test_tools_runtime.py checks those)."""
    return without_model_calls(await run_in_process("tools", *args, **kwargs))


# --- synthetic --------------------------------------------------------------------


async def test_a_synthetic_run_asks_after_its_steps_and_resumed_plays_the_rest_of_its_script():
    config = {"steps": 2, "tokens": 3, "ask": ASK}
    first = await run_in_process("synthetic", config, {"q": 1}, None)

    assert event_types(first) == ["progress", "step", "progress", "step", "interrupt"]
    assert first[-1][1] == {"kind": "ask_human", "payload": ASK, "state": {"after": 4}}

    second = await run_in_process("synthetic", config, {"q": 1}, None, resume=resume_from(first[-1][1], "blue"))

    assert event_types(second) == ["token", "token", "token", "result"]
    # Both parts together are the script, once.
    assert [event[0:2] for event in first[:-1] + second[:-1]] == [(e.type, e.data) for e in script(2, 3)]
    assert second[-1][1]["output"] == {"text": "tok1 tok2 tok3 ", "steps": 2, "tokens": 3, "input": {"q": 1},
                                       "answer": "blue"}


async def test_a_synthetic_question_may_come_mid_tokens_and_the_text_stays_whole():
    config = {"steps": 0, "tokens": 4, "ask": {"question": "Go on?", "after": 2}}
    first = await run_in_process("synthetic", config, {}, None)
    second = await run_in_process("synthetic", config, {}, None, resume=resume_from(first[-1][1], "yes"))

    assert event_types(first) == ["token", "token", "interrupt"]
    assert event_types(second) == ["token", "token", "result"]
    assert second[-1][1]["output"]["text"] == "tok1 tok2 tok3 tok4 "


async def test_a_resume_state_that_is_not_the_runtimes_fails_the_run():
    interrupt = {"kind": "ask_human", "payload": {"question": "?"}, "state": {"after": "four"}}
    events = await run_in_process("synthetic", {"ask": {"question": "?"}}, {}, None, resume=resume_from(interrupt, "x"))

    assert events[-1] == ("error", {"message": "The resume state is not this runtime's.", "code": "invalid_resume"})


# --- tools: ask_human -----------------------------------------------------------------

HUMAN_TOOLS = {"tools": ["ask_human", "calculator"]}


async def test_the_model_asks_the_user_and_the_resumed_run_gives_it_the_answer(stub, services):
    stub.script(tool_calls(("ask_human", {"question": "Metric or imperial?", "choices": ["metric", "imperial"]})))
    first = await run_tools(HUMAN_TOOLS, {"message": "How tall is Everest?"}, services)

    assert event_types(first) == ["progress", "interrupt"]
    interrupt = first[-1][1]
    assert interrupt["kind"] == "ask_human"
    assert interrupt["payload"] == {"question": "Metric or imperial?", "choices": ["metric", "imperial"]}
    assert len(stub.requests) == 1

    stub.script(text("8,849 m."))
    second = await run_tools(HUMAN_TOOLS, {"message": "How tall is Everest?"}, services,
                                  resume=resume_from(interrupt, "metric"))

    assert event_types(second) == ["tool_call", "tool_result", "progress", "token", "progress", "result"]
    assert second[1][1] == {"tool": "ask_human", "result": {"answer": "metric"}}
    # The second model call continues the first conversation: the question's call, then its answer.
    assert len(stub.requests) == 2
    follow_up = stub.requests[1]["body"]["messages"]
    assert follow_up[-2]["tool_calls"][0]["function"]["name"] == "ask_human"
    assert follow_up[-1]["content"] == '{"answer": "metric"}'
    output = second[-1][1]["output"]
    assert (output["text"], output["iterations"]) == ("8,849 m.", 2)
    assert output["tool_calls"][0]["result"] == {"answer": "metric"}
    # The usage covers the model calls before the pause too.
    assert output["usage"]["calls"] == 2


async def test_ask_human_is_offered_only_when_the_config_lists_it(stub, services):
    await run_tools({}, {"message": "Hi"}, services)

    assert "ask_human" not in [tool["function"]["name"] for tool in stub.requests[0]["body"]["tools"]]


async def test_a_malformed_question_goes_back_to_the_model_as_an_error(stub, services):
    stub.script(tool_calls(("ask_human", {"choices": ["a"]})), text("Never mind."))

    events = await run_tools(HUMAN_TOOLS, {"message": "?"}, services)

    assert "interrupt" not in event_types(events)
    assert "Invalid arguments" in events[2][1]["result"]["error"]


# --- tools: confirmations ---------------------------------------------------------------

CONFIRMED = {"tools": ["calculator", "current_time"], "confirm_tools": ["calculator"]}


async def paused_calculation(stub, services, *, then=()):
    """A run paused before ``12 * 7`` (after an unconfirmed current_time call of the same turn)."""
    stub.script(tool_calls(("current_time", {}), ("calculator", {"expression": "12 * 7"})), *then)
    first = await run_tools(CONFIRMED, {"message": "Time, and 12*7?"}, services)
    assert event_types(first) == ["progress", "tool_call", "tool_result", "interrupt"]
    return first[-1][1]


async def test_a_confirmed_tool_waits_for_approval_and_is_called_once_approved(stub, services):
    interrupt = await paused_calculation(stub, services)
    assert interrupt["kind"] == "confirm_tool"
    assert interrupt["payload"] == {"tool": "calculator", "arguments": {"expression": "12 * 7"}}

    stub.script(text("84."))
    second = await run_tools(CONFIRMED, {"message": "Time, and 12*7?"}, services,
                                  resume=resume_from(interrupt, {"action": "approve"}))

    assert event_types(second) == ["tool_call", "tool_result", "progress", "token", "progress", "result"]
    assert second[1][1] == {"tool": "calculator", "result": {"expression": "12 * 7", "result": 84}}
    # current_time was called before the pause and not again: two calls in all, two model calls.
    calls = second[-1][1]["output"]["tool_calls"]
    assert [call["tool"] for call in calls] == ["current_time", "calculator"]
    assert len(stub.requests) == 2


async def test_an_edited_call_is_made_with_the_new_arguments(stub, services):
    interrupt = await paused_calculation(stub, services)

    stub.script(text("85."))
    second = await run_tools(CONFIRMED, {"message": "Time, and 12*7?"}, services,
                                  resume=resume_from(interrupt, {"action": "edit", "arguments": {"expression": "85"}}))

    assert second[0][1] == {"tool": "calculator", "arguments": {"expression": "85"}}
    assert second[1][1]["result"] == {"expression": "85", "result": 85}


async def test_a_rejected_call_is_not_made_and_the_model_hears_why(stub, services):
    interrupt = await paused_calculation(stub, services)

    stub.script(text("As you wish."))
    answer = {"action": "reject", "reason": "no maths today"}
    second = await run_tools(CONFIRMED, {"message": "Time, and 12*7?"}, services,
                                  resume=resume_from(interrupt, answer))

    assert second[1][1]["result"] == {"error": "The user declined this call: no maths today"}
    assert json.loads(stub.requests[1]["body"]["messages"][-1]["content"]) == second[1][1]["result"]


async def test_a_resume_for_another_kind_of_interrupt_fails_the_run(stub, services):
    interrupt = await paused_calculation(stub, services)

    events = await run_tools(CONFIRMED, {"message": "?"}, services,
                                  resume=resume_from({**interrupt, "kind": "ask_human"}, "yes"))

    assert events[-1][1]["code"] == "invalid_resume"


class JsonModeProvider(OpenAIProvider):
    native_tool_calls = False


async def test_the_json_loop_pauses_and_resumes_the_same_way(stub, services):
    services._providers["openai"] = JsonModeProvider(services.settings)
    stub.script(text(json.dumps({"tool": "calculator", "arguments": {"expression": "6 * 7"}})))
    first = await run_tools(CONFIRMED, {"message": "6*7?"}, services)
    assert event_types(first) == ["progress", "interrupt"]

    stub.script(text('{"tool": "answer"}'), text("42."))
    second = await run_tools(CONFIRMED, {"message": "6*7?"}, services,
                                  resume=resume_from(first[-1][1], {"action": "approve"}))

    assert event_types(second) == ["tool_call", "tool_result", "progress", "token", "progress", "result"]
    assert second[-1][1]["output"]["text"] == "42."
    assert 'calculator({"expression": "6 * 7"}) returned' in stub.requests[-1]["body"]["messages"][-1]["content"]


# --- over HTTP ----------------------------------------------------------------------------


def test_a_stream_that_waits_ends_with_the_interrupt_event(client):
    events = stream_events(client, execute_body({"steps": 1, "tokens": 0, "ask": ASK}), SSE)

    assert [kind for kind, _ in events] == ["progress", "step", "interrupt"]
    assert events[-1][1]["payload"] == ASK


def test_the_json_summary_of_a_run_that_waits_says_interrupted(client):
    response = client.post("/execute", json=execute_body({"steps": 0, "tokens": 0, "ask": ASK}), headers=JSON)

    summary = response.json()
    assert (summary["status"], summary["output"], summary["interrupt"]["kind"]) == ("interrupted", None, "ask_human")


def test_a_resumed_run_over_http_goes_on(client):
    resume = {"interrupt_id": "i-1", "kind": "ask_human", "payload": ASK, "state": {"after": 2}, "answer": "red"}
    events = stream_events(client, execute_body({"steps": 1, "tokens": 1, "ask": ASK}, resume=resume), SSE)

    assert [kind for kind, _ in events] == ["token", "result"]
    assert events[-1][1]["output"]["answer"] == "red"


@pytest.mark.parametrize(
    ("resume", "fields"),
    [
        ("yes", {"resume": "Must be a JSON object."}),
        ({"interrupt_id": "i", "kind": "ask_human", "payload": ASK, "state": {}},
         {"resume.answer": "This field is required."}),
        ({"interrupt_id": "i", "kind": "vote", "payload": {}, "state": {}, "answer": "x"},
         {"resume.kind": "Must be one of: ask_human, confirm_tool."}),
        ({"interrupt_id": "i", "kind": "ask_human", "payload": ASK, "state": {}, "answer": "green"},
         {"resume.answer": "The answer must be one of: red, blue."}),
        ({"interrupt_id": "i", "kind": "confirm_tool", "payload": {}, "state": {}, "answer": {"action": "edit"}},
         {"resume.answer": 'An edit needs the new "arguments", a JSON object.'}),
    ],
)
def test_a_malformed_resume_is_a_400_naming_the_field(client, resume, fields):
    response = client.post("/execute", json=execute_body({}, resume=resume), headers=SSE)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
