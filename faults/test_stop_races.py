"""Stop requests race each other and the end of the run, through two api processes and two workers.

Each run gets four stop requests at about the same moment, chosen between
its start and a little after its natural end: REST to api A, REST to api
B, and `stop_agent` on a socket to each. Some land while it is pending,
some while it streams, some after it completed. Every run ends exactly
once: one terminal event, its last (`execution_stopped` or
`execution_completed`, never both, never `execution_error`), and both
sockets see that one end. A run stopped while streaming stops within a
heartbeat or so.
"""

import asyncio
import random
import time

from runs.models import AgentExecution

from .clients import Follower, Rest
from .conftest import HEARTBEAT, SLACK
from .invariants import check_invariants, wait_until_all_terminal
from .scenario import in_db, make_agent, rows, run_seconds, ws_base

CONFIG = {"steps": 1, "tokens": 20, "delay_ms": 25}  # about half a second
RUNS = 96


async def test_racing_stops_end_every_run_exactly_once(stack, owner, token, figures):
    for _ in range(2):
        stack.start_worker(concurrency=16)
    apis = [stack.start_api(), stack.start_api()]
    rest = Rest([api.url for api in apis], token)
    agent = await make_agent(owner, CONFIG)
    sockets = [Follower([ws_base(api)], token, name=f"api{n}") for n, api in enumerate(apis)]
    # A follower needs something to follow before it runs: the first run is started first.
    first = await rest.start(agent, {"n": 0}, api=0)
    assert first.status_code == 201, first.text
    for follower in sockets:
        follower.follow(first.json()["id"])
    reading = [asyncio.create_task(follower.run(timeout=60)) for follower in sockets]
    await asyncio.gather(*(follower.wait_connected() for follower in sockets))

    rng = random.Random(7)
    answers = []
    stops = {}  # execution id -> when its stops were sent

    async def start_and_stop(n, known=None):
        if known is None:
            answer = await rest.start(agent, {"n": n}, api=n % 2)
            assert answer.status_code == 201, answer.text
            known = answer.json()["id"]
        for follower in sockets:
            follower.follow(known)
        if n % 6 == 5:
            return  # no stop: it completes on its own
        await asyncio.sleep(0 if n % 6 == 0 else rng.uniform(0, run_seconds(CONFIG) + 0.8))
        stops[known] = time.time()
        results = await asyncio.gather(
            rest.stop(known, api=0), rest.stop(known, api=1), *(follower.stop(known) for follower in sockets)
        )
        answers.extend(result.status_code for result in results[:2])

    await asyncio.gather(start_and_stop(0, first.json()["id"]), *(start_and_stop(n) for n in range(1, RUNS)))
    for follower in sockets:
        follower.seal()
    bound = run_seconds(CONFIG) + SLACK
    await in_db(wait_until_all_terminal, bound + 10)
    await asyncio.gather(*reading)
    await rest.close()

    figures |= await in_db(check_invariants, sockets)
    found = await rows(list(stops))
    never_started = await in_db(_stopped_before_start)
    assert {row["status"] for row in found.values()} <= {"completed", "stopped"}
    assert set(answers) == {202}, sorted(set(answers))
    assert not [follower.errors for follower in sockets if follower.errors]
    stopped_live = [
        found[e]["completed_at"].timestamp() - stops[e]
        for e in stops
        if found[e]["status"] == "stopped" and e not in never_started
    ]
    figures |= {
        "runs": RUNS,
        "runs_sent_stops": len(stops),
        "stop_requests": 4 * len(stops),
        "stopped_while_pending": len(never_started),
        "stopped_while_running": len(stopped_live),
        "completed_before_the_stop": sum(row["status"] == "completed" for row in found.values()),
        "max_seconds_stop_to_stopped": round(max(stopped_live, default=0), 2),
        "bound_seconds": HEARTBEAT + SLACK,
    }
    assert max(stopped_live, default=0) <= HEARTBEAT + SLACK


def _stopped_before_start():
    return {
        str(execution_id)
        for execution_id in AgentExecution.objects.filter(status="stopped", started_at=None).values_list(
            "id", flat=True
        )
    }
