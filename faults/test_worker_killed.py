"""A worker is killed (SIGKILL) with runs in flight.

Its runs that had streamed agent events end `failed` with `worker_lost` once
their lease expires and a reaper runs (beat schedules it; the worker
started in its place runs it). Runs it had claimed but that had no agent
event yet may be retried instead, and then complete. Runs started after the
kill complete on the new worker, and a socket client following every run
sees each end exactly once.
"""

import asyncio
import time

from testsupport.faults import freeze, kill, thaw

from .clients import Follower, Rest
from .conftest import LEASE, REAP_INTERVAL, REDISPATCH, SLACK
from .invariants import check_invariants, unfinished_count
from .scenario import (
    in_db,
    make_agent,
    rows,
    run_seconds,
    start_runs,
    wait_for,
    wait_until_status,
    wait_until_streaming,
)

STREAMING = {"steps": 2, "tokens": 400, "delay_ms": 25}  # 10 s: still streaming at the kill
SHORT = {"steps": 1, "tokens": 20, "delay_ms": 50}  # 1 s


async def test_a_killed_workers_runs_end_within_the_lease_and_new_runs_complete(stack, owner, token, figures):
    victim = stack.start_worker(concurrency=8)
    stack.start_beat()
    api = stack.start_api()
    rest = Rest([api.url], token)
    streaming_agent = await make_agent(owner, STREAMING)
    short_agent = await make_agent(owner, SHORT)

    streaming = await start_runs(rest, streaming_agent, 6)
    await wait_until_streaming(streaming)
    # Claimed but silent: the agent server is frozen while these start, so
    # they hold execution_started and nothing else when the worker dies.
    freeze(stack.agent_server)
    try:
        claimed = await start_runs(rest, short_agent, 2)
        await wait_until_status(claimed, "running", timeout=15)
        fault_at = kill(victim)
    finally:
        thaw(stack.agent_server)
    follower = Follower([api.url.replace("http", "ws")], token, name="all")
    for execution_id in streaming + claimed:
        follower.follow(execution_id)
    following = asyncio.create_task(follower.run(timeout=60))

    started = time.monotonic()
    await asyncio.to_thread(stack.start_worker, concurrency=8)
    replacement_startup = time.monotonic() - started
    later = await start_runs(rest, short_agent, 4)
    for execution_id in later:
        follower.follow(execution_id)
    follower.seal()

    lost_bound = replacement_startup + LEASE + REAP_INTERVAL + SLACK
    retried_bound = lost_bound + REDISPATCH + run_seconds(SHORT) + SLACK
    await wait_for(_none_unfinished, retried_bound + 5, "every run terminal")
    await following
    await rest.close()

    figures |= await in_db(check_invariants, [follower], fault_at=fault_at)
    found = await rows(streaming + claimed + later)
    for execution_id in streaming:
        assert (found[execution_id]["status"], found[execution_id]["error_code"]) == ("failed", "worker_lost")
    for execution_id in claimed:
        assert (found[execution_id]["status"], found[execution_id]["error_code"]) in {
            ("completed", ""),
            ("failed", "worker_lost"),
        }
    for execution_id in later:
        assert found[execution_id]["status"] == "completed"
    lost_seconds = max(found[e]["completed_at"].timestamp() - fault_at for e in streaming)
    figures |= {
        "runs_streaming_at_kill": len(streaming),
        "runs_claimed_without_agent_event": len(claimed),
        "claimed_runs_retried_and_completed": sum(found[e]["status"] == "completed" for e in claimed),
        "runs_started_after_kill": len(later),
        "replacement_worker_startup_seconds": round(replacement_startup, 2),
        "max_seconds_to_worker_lost": round(lost_seconds, 2),
        "bound_seconds": round(lost_bound, 2),
    }
    assert lost_seconds <= lost_bound


async def _none_unfinished():
    return await in_db(unfinished_count) == 0
