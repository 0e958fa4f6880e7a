"""The synthetic runtime on its own, without a server."""

import asyncio

import pytest

from mcp_server.events import Event, Result, RuntimeFailure
from mcp_server.protocol import AgentSpec, RunRequest
from mcp_server.runtimes import ConfigError, get_runtime
from mcp_server.runtimes.synthetic import SyntheticRuntime

runtime = SyntheticRuntime()


def run_request(config: dict, input_data: dict | None = None) -> RunRequest:
    agent = AgentSpec(id="a1", name="Synthetic", runtime="synthetic", config=runtime.check_config(config))
    return RunRequest(execution_id="e1", agent=agent, input_data=input_data or {})


def collect(request: RunRequest) -> list:
    async def gather() -> list:
        return [item async for item in runtime.run(request)]

    return asyncio.run(gather())


def test_it_is_registered_under_its_name():
    assert isinstance(get_runtime("synthetic"), SyntheticRuntime)


def test_it_plays_progress_and_step_per_step_then_tokens_then_the_result():
    items = collect(run_request({"steps": 2, "tokens": 3}, input_data={"q": 1}))

    assert items == [
        Event("progress", {"stage": "step", "message": "Step 1 of 2", "percent": 50}),
        Event("step", {"name": "step-1", "content": "Completed synthetic step 1 of 2."}),
        Event("progress", {"stage": "step", "message": "Step 2 of 2", "percent": 100}),
        Event("step", {"name": "step-2", "content": "Completed synthetic step 2 of 2."}),
        Event("token", {"content": "tok1 "}),
        Event("token", {"content": "tok2 "}),
        Event("token", {"content": "tok3 "}),
        Result({"text": "tok1 tok2 tok3 ", "steps": 2, "tokens": 3, "input": {"q": 1}}),
    ]


def test_its_progress_rises_to_100_percent_with_the_last_step():
    items = collect(run_request({"steps": 7, "tokens": 4}))

    percents = [item.data["percent"] for item in items if isinstance(item, Event) and item.type == "progress"]
    assert percents == [14, 28, 42, 57, 71, 85, 100]


@pytest.mark.parametrize("steps", [1, 99, 1000])
def test_its_progress_never_goes_down_whatever_the_number_of_steps(steps):
    items = collect(run_request({"steps": steps, "tokens": 1}))

    percents = [item.data["percent"] for item in items if isinstance(item, Event) and item.type == "progress"]
    assert percents == sorted(percents) and percents[-1] == 100 and percents.count(100) == 1


def test_it_emits_two_events_per_step_and_one_per_token():
    items = collect(run_request({"steps": 4, "tokens": 9}))

    assert len(items) == 2 * 4 + 9 + 1  # and the Result


def test_it_produces_identical_runs_for_identical_configs():
    config = {"steps": 5, "tokens": 200}

    first = collect(run_request(config))
    second = collect(run_request(config))

    assert [e.data_json for e in first[:-1]] == [e.data_json for e in second[:-1]]
    assert first[-1] == second[-1]


def test_it_can_run_with_no_steps_and_no_tokens():
    assert collect(run_request({"steps": 0, "tokens": 0})) == [
        Result({"text": "", "steps": 0, "tokens": 0, "input": {}}),
    ]


@pytest.mark.parametrize("fail_at", [1, 2, 5, 9])
def test_it_fails_instead_of_emitting_the_chosen_event(fail_at):
    request = run_request({"steps": 2, "tokens": 5, "fail_at": fail_at})
    emitted: list = []

    async def consume() -> None:
        async for item in runtime.run(request):
            emitted.append(item)

    with pytest.raises(RuntimeFailure) as failure:
        asyncio.run(consume())

    assert len(emitted) == fail_at - 1
    assert (failure.value.message, failure.value.code) == (f"Synthetic failure at event {fail_at}", "synthetic_failure")


def test_it_fills_in_defaults_for_missing_options():
    assert runtime.check_config({}) == {
        "steps": 3, "tokens": 20, "delay_ms": 0, "fail_at": None, "stamp": False, "ask": None}


def test_it_reports_each_bad_option_by_name():
    with pytest.raises(ConfigError) as rejection:
        runtime.check_config({"steps": 1001, "delay_ms": 60_001, "fail_at": "3", "extra": 1})

    assert rejection.value.fields == {
        "delay_ms": "Must be at most 60000.",
        "extra": "Unknown option.",
        "fail_at": "Must be an integer or null.",
        "steps": "Must be at most 1000.",
    }


def test_it_rejects_a_config_that_is_not_an_object():
    with pytest.raises(ConfigError, match="must be a JSON object"):
        runtime.check_config([1, 2])


def test_it_stops_sleeping_as_soon_as_it_is_cancelled():
    request = run_request({"steps": 0, "tokens": 3, "delay_ms": 60_000})

    async def cancel_mid_run() -> float:
        run = runtime.run(request)
        await anext(run)
        pending = asyncio.ensure_future(anext(run))
        await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        started = loop.time()
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        return loop.time() - started

    assert asyncio.run(cancel_mid_run()) < 0.1
