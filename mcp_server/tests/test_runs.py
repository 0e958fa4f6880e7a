"""The run supervisor: one terminal event, crashes contained, runs counted and cancellable."""

import asyncio
import logging

import pytest

from mcp_server import events
from mcp_server.events import Event, Result, RuntimeFailure
from mcp_server.protocol import AgentSpec, RunRequest
from mcp_server.runs import EVENTS_PER_LOOP_TURN, ActiveRuns, execute_run
from mcp_server.runtimes import Runtime

REQUEST = RunRequest(
    execution_id="e-7", agent=AgentSpec(id="a", name="A", runtime="scripted", config={}), input_data={}
)


class ScriptedRuntime(Runtime):
    """Yields the given items, then raises ``then_raise`` if set."""

    name = "scripted"

    def __init__(self, *items, then_raise: BaseException | None = None) -> None:
        self.items = items
        self.then_raise = then_raise
        self.closed = False

    async def run(self, request):
        try:
            for item in self.items:
                yield item
            if self.then_raise is not None:
                raise self.then_raise
        finally:
            self.closed = True


def run_to_end(runtime: Runtime, active_runs: ActiveRuns | None = None) -> list[Event]:
    async def gather() -> list[Event]:
        return [event async for event in execute_run(runtime, REQUEST, active_runs or ActiveRuns())]

    return asyncio.run(gather())


def test_it_passes_agent_events_through_and_ends_with_the_result():
    runtime = ScriptedRuntime(events.token("a"), events.message("assistant", "hi"), Result({"answer": 42}))

    assert run_to_end(runtime) == [
        Event("token", {"content": "a"}),
        Event("message", {"role": "assistant", "content": "hi"}),
        Event("result", {"output": {"answer": 42}}),
    ]


def test_it_stops_reading_the_runtime_after_its_result():
    runtime = ScriptedRuntime(Result({}), events.token("too late"))

    assert run_to_end(runtime) == [Event("result", {"output": {}})]
    assert runtime.closed


def test_it_turns_a_runtime_failure_into_an_error_event():
    runtime = ScriptedRuntime(events.step("s", "c"), then_raise=RuntimeFailure("Model refused", "refused"))

    assert run_to_end(runtime)[-1] == Event("error", {"message": "Model refused", "code": "refused"})


def test_it_turns_a_crash_into_a_runtime_error_without_internals(caplog):
    runtime = ScriptedRuntime(events.token("a"), then_raise=KeyError("secret-internal-detail"))

    with caplog.at_level(logging.ERROR, logger="mcp_server.runs"):
        terminal = run_to_end(runtime)[-1]

    assert terminal.type == "error"
    assert terminal.data["code"] == "runtime_error"
    assert "secret-internal-detail" not in terminal.data["message"]
    assert "'scripted' runtime failed unexpectedly" in terminal.data["message"]
    assert "secret-internal-detail" in caplog.text  # the traceback is in the server log


def test_it_reports_an_event_that_cannot_be_json_as_a_runtime_error():
    class UnencodableRuntime(Runtime):
        name = "unencodable"

        async def run(self, request):
            yield events.tool_result("clock", {"now": object()})

    terminal = run_to_end(UnencodableRuntime())[-1]

    assert terminal.data["code"] == "runtime_error"


@pytest.mark.parametrize(
    ("items", "complaint"),
    [
        ((events.token("a"),), "ended without yielding a Result"),
        (("plain text",), "yielded a str, which is neither an agent event nor a Result"),
        ((events.result_event({}),), "yielded an event of type 'result', which is not an agent event"),
        ((Result(["not", "an", "object"]),), "produced a Result whose output is not a JSON object"),
    ],
)
def test_it_reports_a_runtime_that_breaks_its_contract(items, complaint):
    terminal = run_to_end(ScriptedRuntime(*items))[-1]

    assert terminal == Event("error", {"message": f"The 'scripted' runtime {complaint}.", "code": "runtime_error"})


def test_it_counts_the_run_as_active_until_the_terminal_event():
    active_runs = ActiveRuns()
    seen: list[tuple[str, int]] = []

    async def watch() -> None:
        async for event in execute_run(ScriptedRuntime(events.token("a"), Result({})), REQUEST, active_runs):
            seen.append((event.type, active_runs.count))

    asyncio.run(watch())

    assert seen == [("token", 1), ("result", 0)]


def test_it_logs_the_start_and_the_end_of_each_run(caplog):
    with caplog.at_level(logging.INFO, logger="mcp_server.runs"):
        run_to_end(ScriptedRuntime(Result({})))

    lines = [record.getMessage() for record in caplog.records]
    assert lines[0] == "run started execution_id='e-7' runtime=scripted"
    assert lines[1].startswith("run finished execution_id='e-7' runtime=scripted outcome=completed duration=")


def test_it_cancels_the_runtime_and_uncounts_the_run_when_closed_early(caplog):
    active_runs = ActiveRuns()
    runtime = ScriptedRuntime(*[events.token("x")] * 10, Result({}))

    async def read_one_then_close() -> None:
        run = execute_run(runtime, REQUEST, active_runs)
        await anext(run)
        await run.aclose()

    with caplog.at_level(logging.INFO, logger="mcp_server.runs"):
        asyncio.run(read_one_then_close())

    assert runtime.closed
    assert active_runs.count == 0
    assert "outcome=cancelled" in caplog.text


def test_it_hands_control_to_the_event_loop_during_a_burst():
    class BusyRuntime(Runtime):
        name = "busy"

        async def run(self, request):
            for _ in range(EVENTS_PER_LOOP_TURN * 4):
                yield events.token("x")  # never awaits anything
            yield Result({})

    async def count_loop_turns() -> int:
        turns = 0

        async def ticker() -> None:
            nonlocal turns
            while True:
                await asyncio.sleep(0)
                turns += 1

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        async for _ in execute_run(BusyRuntime(), REQUEST, ActiveRuns()):
            pass
        ticking.cancel()
        return turns

    assert asyncio.run(count_loop_turns()) >= 3
