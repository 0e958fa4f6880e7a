"""The tools runtime: a bounded ReAct loop, with native tool calls or JSON-constrained choices."""

import json

import pytest

from mcp_server.agent_tools import AGENT_TOOLS, ToolContext
from mcp_server.providers.openai import OpenAIProvider
from mcp_server.runtimes import get_runtime
from mcp_server.tests.helpers import event_types, model_call, run_in_process, without_model_calls
from testsupport.openai_stub import text, tool_calls


async def test_it_calls_the_tool_the_model_asks_for_and_streams_the_answer(stub, services):
    stub.script(tool_calls(("calculator", {"expression": "12 * 7"})), text("It is ", "84."))

    all_events = await run_in_process("tools", {}, {"message": "What is 12 times 7?"}, services)

    # Each model call is reported once it ended: the turn that called the tool, then the answer.
    assert [event for event in all_events if event[0] == "step"] == [
        model_call("turn", "tool_calls", completion_tokens=1), model_call("turn", "stop", completion_tokens=2)]
    assert all_events[1] == model_call("turn", "tool_calls", completion_tokens=1)
    events = without_model_calls(all_events)
    assert event_types(events) == [
        "progress", "tool_call", "tool_result", "progress", "token", "token", "progress", "result"]
    assert events[1] == ("tool_call", {"tool": "calculator", "arguments": {"expression": "12 * 7"}})
    assert events[2] == ("tool_result", {"tool": "calculator", "result": {"expression": "12 * 7", "result": 84}})
    assert events[3][1] == {"stage": "thinking", "message": "Step 2 of at most 5", "percent": 20}
    assert events[-2] == ("progress", {"stage": "done", "message": "Done", "percent": 100})
    output = events[-1][1]["output"]
    assert (output["text"], output["iterations"]) == ("It is 84.", 2)
    assert output["finish_reason"] == "stop"
    assert output["usage"]["calls"] == 2 and output["usage"]["completion_tokens"] == 3
    assert output["tool_calls"] == [{"tool": "calculator", "arguments": {"expression": "12 * 7"},
                                     "result": {"expression": "12 * 7", "result": 84}}]
    follow_up = stub.requests[1]["body"]["messages"]
    assert follow_up[-2]["tool_calls"][0]["function"] == {"name": "calculator", "arguments": '{"expression": "12 * 7"}'}
    assert follow_up[-1] == {"role": "tool", "tool_call_id": "call_0",
                             "content": '{"expression": "12 * 7", "result": 84}'}


async def test_it_offers_only_the_configured_tools(stub, services):
    await run_in_process("tools", {"tools": ["current_time"]}, {"message": "Time?"}, services)

    assert [tool["function"]["name"] for tool in stub.requests[0]["body"]["tools"]] == ["current_time"]


async def test_a_failing_tool_reports_its_error_to_the_model_and_the_run_goes_on(stub, services):
    stub.script(tool_calls(("calculator", {"expression": "1 / 0"}), ("teleport", {})), text("Cannot."))

    events = await run_in_process("tools", {}, {"message": "1/0?"}, services)

    results = [data["result"] for kind, data in events if kind == "tool_result"]
    assert results == [{"error": "Division by zero."},
                       {"error": "Unknown tool 'teleport'; available: calculator, current_time, search_knowledge."}]
    assert events[-1][0] == "result"


async def test_its_progress_rises_to_100_percent_just_before_the_result(stub, services):
    stub.script(tool_calls(("calculator", {"expression": "2 ** 10"})), text("1024."))

    events = await run_in_process("tools", {"max_iterations": 4}, {"message": "2 to the 10th?"}, services)

    percents = [data["percent"] for kind, data in events if kind == "progress"]
    assert percents == [0, 25, 100]
    assert events[-2] == ("progress", {"stage": "done", "message": "Done", "percent": 100})


async def test_its_last_iteration_must_answer(stub, services):
    stub.script(tool_calls(("current_time", {})), tool_calls(("current_time", {"timezone": "UTC"})))

    events = await run_in_process("tools", {"max_iterations": 2}, {"message": "Loop forever"}, services)

    assert event_types(events).count("tool_call") == 1
    assert [request["body"]["tool_choice"] for request in stub.requests] == ["auto", "none"]
    assert events[-1][1]["output"]["iterations"] == 2


async def test_a_repeated_call_makes_the_next_turn_answer(stub, services):
    call = ("calculator", {"expression": "2+2"})
    stub.script(tool_calls(call), tool_calls(call), text("4"))

    events = await run_in_process("tools", {}, {"message": "2+2?"}, services)

    assert [request["body"]["tool_choice"] for request in stub.requests] == ["auto", "auto", "none"]
    assert events[-1][1]["output"]["text"] == "4"


class JsonModeProvider(OpenAIProvider):
    """The stand-in LLM as a provider without native tool calls, like the local one."""

    native_tool_calls = False


@pytest.fixture
def json_mode(services):
    services._providers["openai"] = JsonModeProvider(services.settings)
    return services


async def test_without_native_tool_calls_it_decides_in_constrained_json_then_answers(stub, json_mode):
    decision = {"tool": "calculator", "arguments": {"expression": "12 * 7"}}
    stub.script(text(json.dumps(decision)), text('{"tool": "answer"}'), text("84", "."))

    all_events = await run_in_process("tools", {}, {"message": "What is 12 times 7?"}, json_mode)

    assert [event[1]["content"]["purpose"] for event in all_events if event[0] == "step"] == [
        "decision", "decision", "answer"]
    events = without_model_calls(all_events)

    assert event_types(events) == [
        "progress", "tool_call", "tool_result", "progress", "token", "token", "progress", "result"]
    assert events[2][1]["result"] == {"expression": "12 * 7", "result": 84}
    assert events[-1][1]["output"]["text"] == "84."
    first, _, answer = (request["body"] for request in stub.requests)
    schema = first["response_format"]["json_schema"]["schema"]
    assert {choice["properties"]["tool"]["const"] for choice in schema["anyOf"]} == {
        "calculator", "current_time", "search_knowledge", "answer"}
    assert "tools" not in first
    assert "response_format" not in answer
    assert 'calculator({"expression": "12 * 7"}) returned {"expression": "12 * 7", "result": 84}' in (
        answer["messages"][-1]["content"])


async def test_in_json_mode_an_unusable_decision_goes_straight_to_the_answer(stub, json_mode):
    stub.script(text('{"tool": "calcul'), text("I am not sure."))

    events = without_model_calls(await run_in_process("tools", {}, {"message": "?"}, json_mode))

    assert event_types(events) == ["progress", "token", "progress", "result"]
    assert len(stub.requests) == 2


async def test_in_json_mode_a_decision_is_shown_the_worked_examples_nearest_the_request(stub, json_mode):
    stub.script(text('{"tool": "answer"}'), text("Hi!"))

    await run_in_process("tools", {}, {"message": "What time is it in Paris, please?"}, json_mode)

    decision = stub.requests[0]["body"]
    # The system prompt, two worked examples (request, decision), then the request; the nearest example last.
    messages = decision["messages"]
    assert [message["role"] for message in messages] == ["system", *["user", "assistant"] * 2, "user"]
    assert messages[3:5] == [{"role": "user", "content": "What time is it in Paris?"},
                             {"role": "assistant",
                              "content": '{"tool": "current_time", "arguments": {"timezone": "Europe/Paris"}}'}]
    assert (decision["temperature"], decision["max_tokens"]) == (0, 256)
    assert "frequency_penalty" not in decision  # unpenalized: a decision copies from the request


async def test_a_greeting_is_shown_examples_answered_without_a_tool(stub, json_mode):
    stub.script(text('{"tool": "answer"}'), text("Hello!"))

    await run_in_process("tools", {}, {"message": "Hi there, good morning!"}, json_mode)

    nearest = stub.requests[0]["body"]["messages"][-2]
    assert nearest == {"role": "assistant", "content": '{"tool": "answer"}'}


def test_the_answer_grammar_holds_the_answer_to_the_facts_of_the_results():
    from mcp_server.providers import create_provider
    from mcp_server.runtimes.tools import ReActLoop
    from mcp_server.settings import Settings

    config = get_runtime("tools").check_config({})
    loop = ReActLoop.start(create_provider("local", Settings()), config, ToolContext("a", None), [
        {"role": "user", "content": "17 * 23 + 4?"}])
    assert loop._answer_grammar() is None  # nothing called: free text
    loop.calls = [{"tool": "calculator", "arguments": {"expression": "17 * 23 + 4"},
                   "result": {"expression": "17 * 23 + 4", "result": 395}},
                  {"tool": "calculator", "arguments": {"expression": "1 / 0"}, "result": {"error": "Division by zero."}},
                  {"tool": "current_time", "arguments": {},
                   "result": {"timezone": "UTC", "datetime": "2026-12-07T12:05:09+00:00", "weekday": "Monday"}}]

    grammar = loop._answer_grammar()

    assert grammar.startswith('root ::= lead "395" lead "12:05 on Monday, 7 December 2026 (UTC)" tail\n')
    assert "0-9" not in grammar  # no digits of the model's own


def test_a_calculators_fact_is_its_number_and_a_whole_float_reads_as_an_integer():
    calculator = AGENT_TOOLS["calculator"]
    assert calculator.answer_facts({"expression": "sqrt(1764)", "result": 42.0}) == ["42"]
    assert calculator.answer_facts({"expression": "1 / 8", "result": 0.125}) == ["0.125"]
    assert calculator.answer_facts({"error": "Division by zero."}) == []
