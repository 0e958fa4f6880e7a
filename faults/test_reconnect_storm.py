"""A reconnect storm: many socket clients, each cut off several times mid-stream, over two api processes.

Each client follows a few of the running executions; its connection is
aborted (no close handshake, as a network failure would), first for every
client at the same moment, then at random moments, and each time it reconnects to the other api with `subscribe` from its last seq. Every
client ends with every event of each execution exactly once, in order.
"""

import asyncio
import random
import time

from .clients import Rest
from .conftest import SLACK
from .invariants import check_invariants
from .scenario import follower_of, in_db, make_agent, run_seconds, start_runs, wait_until_streaming

CONFIG = {"steps": 2, "tokens": 160, "delay_ms": 50}  # 8 s
RUNS = 24
CLIENTS = 80
FOLLOWED = 3  # executions per client
DROPS = 3  # per client


async def test_every_client_cut_off_several_times_ends_with_each_event_once(stack, owner, token, figures):
    stack.start_worker(concurrency=32)
    apis = [stack.start_api(), stack.start_api()]
    rest = Rest([api.url for api in apis], token)
    agent = await make_agent(owner, CONFIG)
    ids = await start_runs(rest, agent, RUNS)
    await rest.close()
    await wait_until_streaming(ids)
    rng = random.Random(6)
    followers = [follower_of(apis, token, rng.sample(ids, FOLLOWED), name=f"c{n}") for n in range(CLIENTS)]
    bound = run_seconds(CONFIG) + 3 * SLACK
    tasks = []
    for first in range(0, CLIENTS, 20):
        batch = followers[first : first + 20]
        tasks += [asyncio.create_task(follower.run(timeout=bound + 20)) for follower in batch]
        await asyncio.gather(*(follower.wait_connected() for follower in batch))

    fault_at = time.time()
    window = run_seconds(CONFIG) * 0.6
    # The first cut reaches every client at once (a network blip), the others at random.
    moments = [[30, *rng.sample(range(40, 100), DROPS - 1)] for _ in followers]
    await asyncio.gather(
        *(_drop_repeatedly(follower, percents, window) for follower, percents in zip(followers, moments))
    )
    await asyncio.gather(*tasks)
    clients_done = time.time() - fault_at

    figures |= await in_db(check_invariants, followers, fault_at=fault_at)
    figures |= {
        "runs": RUNS,
        "executions_per_client": FOLLOWED,
        "drops_per_client": DROPS,
        "seconds_until_every_client_complete": round(clients_done, 2),
        "bound_seconds": bound,
    }
    assert sum(follower.drops for follower in followers) >= CLIENTS * DROPS * 0.9
    assert clients_done <= bound


async def _drop_repeatedly(follower, percents, window):
    """Cut the follower's connection at the given moments (percent of ``window``), once it is connected again."""
    started = time.monotonic()
    for percent in sorted(percents):
        await asyncio.sleep(max(0.0, started + window * percent / 100 - time.monotonic()))
        try:
            await follower.wait_connected(timeout=10)
        except TimeoutError:
            return
        await follower.drop()
        await asyncio.sleep(0.05)
