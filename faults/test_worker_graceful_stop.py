"""A worker is asked to stop (SIGTERM) while it runs long executions.

It lets its runs go on for `WORKER_SHUTDOWN_GRACE` seconds, then gives up
the ones still running and exits, well before any lease would expire: a
run that had streamed agent events ends `failed` with `worker_shutdown`,
one that had none yet may instead go back to pending and complete on
another worker.
"""

import asyncio
import signal

from testsupport.faults import freeze, terminate, thaw

from .clients import Rest
from .conftest import REAP_INTERVAL, REDISPATCH, SHUTDOWN_GRACE, SLACK
from .invariants import check_invariants, wait_until_all_terminal
from .scenario import in_db, make_agent, rows, run_seconds, start_runs, wait_until_status, wait_until_streaming

STREAMING = {"steps": 2, "tokens": 600, "delay_ms": 25}  # 15 s: far longer than the grace
SHORT = {"steps": 1, "tokens": 20, "delay_ms": 50}  # 1 s


async def test_a_stopped_worker_gives_up_its_runs_after_the_grace_and_exits(stack, owner, token, figures):
    # Streams stay quiet while the agent server is frozen below; they must not time out meanwhile.
    worker = stack.start_worker(concurrency=8, MCP_READ_TIMEOUT="20")
    stack.start_beat()
    api = stack.start_api()
    rest = Rest([api.url], token)
    streaming = await start_runs(rest, await make_agent(owner, STREAMING), 4)
    await wait_until_streaming(streaming)
    # Claimed but silent: the agent server is frozen from before they start
    # until the worker has exited, so they never get an agent event there.
    freeze(stack.agent_server)
    try:
        claimed = await start_runs(rest, await make_agent(owner, SHORT), 2)
        await wait_until_status(claimed, "running", timeout=15)
        within = SHUTDOWN_GRACE + SLACK
        fault_at, exit_seconds, code = await asyncio.to_thread(terminate, worker, within)
    finally:
        thaw(stack.agent_server)
    await asyncio.to_thread(stack.start_worker, concurrency=8)
    bound = exit_seconds + REAP_INTERVAL + REDISPATCH + run_seconds(SHORT) + SLACK
    await in_db(wait_until_all_terminal, bound)
    await rest.close()

    found = await rows(streaming + claimed)
    given_up = [found[e]["completed_at"].timestamp() - fault_at for e in streaming if found[e]["completed_at"]]
    figures |= {
        "runs_streaming_at_sigterm": len(streaming),
        "runs_claimed_without_agent_event": len(claimed),
        "worker_exit_seconds": round(exit_seconds, 2),
        "worker_exit_code": code,
        "streaming_runs_by_outcome": sorted(
            f"{found[e]['status']} {found[e]['error_code']}".strip() for e in streaming
        ),
        "claimed_runs_by_outcome": sorted(f"{found[e]['status']} {found[e]['error_code']}".strip() for e in claimed),
        "max_seconds_sigterm_to_failed": round(max(given_up), 2) if given_up else None,
        "bound_seconds": within,
    }
    assert code != -signal.SIGKILL, f"the worker was still running {within} s after SIGTERM"
    assert exit_seconds <= within
    figures |= await in_db(check_invariants, fault_at=fault_at)
    assert {(found[e]["status"], found[e]["error_code"]) for e in streaming} == {("failed", "worker_shutdown")}
    assert max(given_up) <= within
    for execution_id in claimed:
        assert (found[execution_id]["status"], found[execution_id]["error_code"]) in {
            ("completed", ""),
            ("failed", "worker_shutdown"),
        }
