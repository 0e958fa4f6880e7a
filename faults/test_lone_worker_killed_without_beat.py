"""The only worker is killed (SIGKILL) while beat is not running.

Nothing schedules the reaper then, and no worker is left to run it; but the
api processes sweep too, so the dead worker's runs still end `failed` with
`worker_lost` once their lease expires. A worker started afterwards runs
new starts.
"""

import asyncio

from testsupport.faults import kill

from .clients import Rest
from .conftest import LEASE, REAP_INTERVAL, SLACK
from .invariants import check_invariants, wait_until_all_terminal
from .scenario import in_db, make_agent, rows, start_runs, wait_until_streaming

STREAMING = {"steps": 2, "tokens": 400, "delay_ms": 25}  # 10 s
SHORT = {"steps": 1, "tokens": 20, "delay_ms": 20}


async def test_the_api_reaps_the_runs_of_a_lone_worker_killed_while_beat_is_down(stack, owner, token, figures):
    worker = stack.start_worker(concurrency=8)
    api = stack.start_api()
    rest = Rest([api.url], token)
    streaming_agent = await make_agent(owner, STREAMING)
    ids = await start_runs(rest, streaming_agent, 4)
    await wait_until_streaming(ids)

    fault_at = kill(worker)
    bound = LEASE + REAP_INTERVAL + SLACK
    await in_db(wait_until_all_terminal, bound)
    found = await rows(ids)
    reaped = {e: row for e, row in found.items() if row["status"] == "failed"}
    seconds = max((row["completed_at"].timestamp() - fault_at for row in reaped.values()), default=None)
    figures |= {
        "runs_on_the_killed_worker": len(ids),
        "reaped_with_no_worker_and_no_beat": len(reaped),
        "max_seconds_to_worker_lost": None if seconds is None else round(seconds, 2),
        "bound_seconds": bound,
    }
    assert {(row["status"], row["error_code"]) for row in found.values()} == {("failed", "worker_lost")}
    assert seconds <= bound

    await asyncio.to_thread(stack.start_worker, concurrency=8)
    later = await start_runs(rest, await make_agent(owner, SHORT), 2)
    await in_db(wait_until_all_terminal, 15)
    await rest.close()
    figures |= await in_db(check_invariants, fault_at=fault_at)
    assert {row["status"] for row in (await rows(later)).values()} == {"completed"}
