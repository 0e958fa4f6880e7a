"""The api process is restarted under live sockets: killed (SIGKILL), later stopped (SIGTERM), each time started again.

Runs go on on the worker meanwhile. Every socket client reconnects to the
api on the same port once it is back, sends `subscribe` with the last seq it
saw for each execution it follows, and ends with every event exactly once,
in order: what it missed is replayed from the database.
"""

import asyncio
import random
import time

from .clients import Rest
from .conftest import SLACK
from .invariants import check_invariants
from .scenario import follower_of, in_db, make_agent, run_seconds, start_runs, wait_until_streaming

CONFIG = {"steps": 2, "tokens": 300, "delay_ms": 40}  # 12 s
RUNS = 12
CLIENTS = 20
FOLLOWED = 3  # executions per client


async def test_socket_clients_resume_after_the_api_is_killed_and_after_it_is_stopped(stack, owner, token, figures):
    stack.start_worker(concurrency=16)
    api = stack.start_api()
    rest = Rest([api.url], token)
    agent = await make_agent(owner, CONFIG)
    ids = await start_runs(rest, agent, RUNS)
    await rest.close()
    await wait_until_streaming(ids)
    rng = random.Random(5)
    followers = [follower_of([api], token, rng.sample(ids, FOLLOWED), name=f"c{n}") for n in range(CLIENTS)]
    bound = run_seconds(CONFIG) + 2 * SLACK
    tasks = [asyncio.create_task(follower.run(timeout=bound + 20)) for follower in followers]
    await asyncio.gather(*(follower.wait_connected() for follower in followers))

    await asyncio.sleep(1.5)
    fault_at = time.time()
    restarted = time.monotonic()
    api = await asyncio.to_thread(stack.restart_api, api, graceful=False, down_for=0.5)
    killed_downtime = time.monotonic() - restarted
    await asyncio.sleep(2)
    restarted = time.monotonic()
    api = await asyncio.to_thread(stack.restart_api, api, graceful=True, down_for=0.5)
    stopped_downtime = time.monotonic() - restarted
    await asyncio.gather(*tasks)
    clients_done = time.time() - fault_at

    figures |= await in_db(check_invariants, followers, fault_at=fault_at)
    figures |= {
        "runs": RUNS,
        "executions_per_client": FOLLOWED,
        "api_down_seconds_after_kill": round(killed_downtime, 2),
        "api_down_seconds_after_sigterm": round(stopped_downtime, 2),
        "seconds_until_every_client_complete": round(clients_done, 2),
        "bound_seconds": bound,
    }
    assert all(follower.lost >= 2 for follower in followers), [follower.lost for follower in followers]
    assert clients_done <= bound
