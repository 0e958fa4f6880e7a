"""Two api processes and two workers: a stop sent to api A reaches the run wherever it runs, and both apis stream the same.

Runs are spread over both workers. Half of them, some on each worker, are
stopped through api A only; they end `stopped` within a heartbeat or so
(the wake-up goes through Redis to every worker; the heartbeat's look at
the database is the fallback). The rest complete. A socket client on each
api follows every run, and both see every stream whole, each event once,
the same as stored.
"""

import asyncio
import time

from .clients import Rest
from .conftest import HEARTBEAT, SLACK
from .invariants import check_invariants
from .scenario import follower_of, in_db, make_agent, rows, run_seconds, start_runs, wait_until_streaming

CONFIG = {"steps": 2, "tokens": 200, "delay_ms": 25}  # 5 s
RUNS = 16


async def test_a_stop_through_one_api_reaches_runs_on_either_worker_and_both_apis_stream_the_same(
    stack, owner, token, figures
):
    for _ in range(2):
        stack.start_worker(concurrency=RUNS)
    apis = [stack.start_api(), stack.start_api()]
    rest = Rest([api.url for api in apis], token)
    agent = await make_agent(owner, CONFIG)
    ids = await start_runs(rest, agent, RUNS)
    followers = [follower_of([api], token, ids, name=f"api{n}") for n, api in enumerate(apis)]
    tasks = [asyncio.create_task(follower.run(timeout=run_seconds(CONFIG) + 30)) for follower in followers]
    await wait_until_streaming(ids)

    found = await rows(ids)
    by_worker = {}
    for execution_id in ids:
        by_worker.setdefault(found[execution_id]["worker"], []).append(execution_id)
    assert len(by_worker) == 2, f"runs landed on {sorted(by_worker)} only"
    to_stop = [execution_id for runs in by_worker.values() for execution_id in runs[: (len(runs) + 1) // 2]]
    stop_at = time.time()
    answers = await asyncio.gather(*(rest.stop(execution_id, api=0) for execution_id in to_stop))
    assert {answer.status_code for answer in answers} == {202}
    await asyncio.gather(*tasks)
    await rest.close()

    figures |= await in_db(check_invariants, followers)
    found = await rows(ids)
    assert {found[e]["status"] for e in to_stop} == {"stopped"}
    assert {found[e]["status"] for e in ids if e not in to_stop} == {"completed"}
    assert followers[0].received == followers[1].received
    seconds = max(found[e]["completed_at"].timestamp() - stop_at for e in to_stop)
    figures |= {
        "runs": RUNS,
        "runs_per_worker": sorted(len(runs) for runs in by_worker.values()),
        "stopped_through_api_a": len(to_stop),
        "stopped_on_each_worker": sorted(sum(e in to_stop for e in runs) for runs in by_worker.values()),
        "max_seconds_stop_to_stopped": round(seconds, 2),
        "bound_seconds": HEARTBEAT + SLACK,
    }
    assert seconds <= HEARTBEAT + SLACK
