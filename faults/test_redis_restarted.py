"""Redis is killed and started again, empty, with runs in flight and more runs queued than the worker can take.

Every task message dies with Redis: the queued runs' and those the worker
had prefetched. Redis stays down longer than a run, so the runs in flight
end (their events go to the database, not Redis) while it is gone. The
worker must survive that and reconnect. Runs whose
messages were lost are still pending, and the sweep of pending executions
dispatches them again (`PENDING_REDISPATCH_SECONDS` after their last
dispatch); they complete. Once Redis is back, a socket client following
every run through the api sees each whole, exactly once.
"""

import asyncio
import time

from .clients import Rest
from .conftest import REAP_INTERVAL, REDISPATCH, SLACK
from .invariants import check_invariants, wait_until_all_terminal
from .scenario import follower_of, in_db, make_agent, rows, run_seconds, start_runs, wait_for, with_agent_events

CONFIG = {"steps": 1, "tokens": 40, "delay_ms": 50}  # 2 s
CONCURRENCY = 2
RUNS = 8
# Longer than a run: the runs in flight end while Redis is down, as their
# late acknowledgements then find no broker.
DOWN_SECONDS = 3.0


async def test_runs_in_flight_end_and_queued_runs_still_run_after_a_redis_restart(stack, owner, token, figures):
    worker = stack.start_worker(concurrency=CONCURRENCY)
    stack.start_beat()
    api = stack.start_api()
    rest = Rest([api.url], token)
    agent = await make_agent(owner, CONFIG)
    ids = await start_runs(rest, agent, RUNS)

    async def worker_busy():
        return len(await with_agent_events(ids)) >= CONCURRENCY

    await wait_for(worker_busy, 15, f"{CONCURRENCY} runs streaming")
    found = await rows(ids)
    in_flight = [e for e in ids if found[e]["status"] == "running"]
    queued = [e for e in ids if found[e]["status"] == "pending"]

    fault_at = time.time()
    await asyncio.to_thread(stack.restart_redis, down_for=DOWN_SECONDS)
    back_at = time.time()
    follower = follower_of([api], token, ids, name="all")
    # Waves of CONCURRENCY runs, each after a re-dispatch at worst.
    bound = DOWN_SECONDS + REAP_INTERVAL + (len(queued) / CONCURRENCY) * (REDISPATCH + run_seconds(CONFIG)) + SLACK
    following = asyncio.create_task(follower.run(timeout=bound + 20))
    await in_db(wait_until_all_terminal, bound)
    all_terminal = time.time() - fault_at
    worker_alive = worker.is_running()
    later = await start_runs(rest, agent, 1)
    await in_db(wait_until_all_terminal, 15)
    await following
    await rest.close()

    found = await rows(ids + later)
    ended_while_down = sum(
        fault_at < found[e]["completed_at"].timestamp() < back_at for e in in_flight if found[e]["completed_at"]
    )
    figures |= {
        "runs_in_flight_at_the_restart": len(in_flight),
        "runs_queued_at_the_restart": len(queued),
        "redis_down_seconds": round(back_at - fault_at, 2),
        "runs_ended_while_redis_down": ended_while_down,
        "worker_survived": worker_alive,
        "queued_runs_completed": sum(found[e]["status"] == "completed" for e in queued),
        "seconds_until_all_terminal": round(all_terminal, 2),
        "bound_seconds": round(bound, 2),
    }
    assert worker_alive, "the worker died with Redis:\n" + worker.log_text()[-3000:]
    figures |= await in_db(check_invariants, [follower], fault_at=fault_at)
    assert {found[e]["status"] for e in queued + later} == {"completed"}
    assert all_terminal <= bound
