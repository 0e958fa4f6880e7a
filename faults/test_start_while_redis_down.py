"""Runs are started over REST while Redis is down.

The database is the source of truth, so a start is not refused because
the broker is unreachable: the answer is not a 5xx, and it comes promptly.
The execution is committed pending; once Redis is back, the sweep of pending
executions dispatches it and it completes. No process logs an internal
server error.
"""

import asyncio
import time

from testsupport.faults import kill

from .clients import Rest
from .conftest import REAP_INTERVAL, REDISPATCH, SLACK
from .invariants import check_invariants, wait_until_all_terminal
from .scenario import in_db, make_agent, rows, run_seconds

CONFIG = {"steps": 1, "tokens": 20, "delay_ms": 20}
STARTS = 5
DOWN_SECONDS = 3.0


async def test_a_start_while_redis_is_down_is_answered_and_the_run_completes_once_it_is_back(
    stack, owner, token, figures
):
    stack.start_worker(concurrency=8)
    stack.start_beat()
    api = stack.start_api()
    rest = Rest([api.url], token)
    agent = await make_agent(owner, CONFIG)
    warm = await rest.start(agent)  # the api's connections are open before Redis goes
    assert warm.status_code == 201, warm.text
    await in_db(wait_until_all_terminal, 15)

    fault_at = kill(stack.redis)

    async def timed_start(n):
        started = time.perf_counter()
        answer = await rest.start(agent, {"n": n})
        return answer, time.perf_counter() - started

    answers = await asyncio.gather(*(timed_start(n) for n in range(STARTS)))
    await asyncio.sleep(max(0.0, DOWN_SECONDS - (time.time() - fault_at)))
    await asyncio.to_thread(stack.start_redis_again)
    back_at = time.time()
    ids = [answer.json()["id"] for answer, _ in answers if 200 <= answer.status_code < 300]
    bound = REDISPATCH + REAP_INTERVAL + run_seconds(CONFIG) + SLACK
    await in_db(wait_until_all_terminal, bound + 10)
    await rest.close()

    codes = sorted(answer.status_code for answer, _ in answers)
    found = await rows(ids)
    errors = stack.log_contains("Internal Server Error") + stack.log_contains('" 500 ')
    figures |= {
        "starts_while_down": STARTS,
        "answers": codes,
        "max_answer_seconds": round(max(seconds for _, seconds in answers), 2),
        "redis_down_seconds": round(back_at - fault_at, 2),
        "completed": sum(row["status"] == "completed" for row in found.values()),
        "max_seconds_back_to_completed": round(
            max(
                (row["completed_at"].timestamp() - back_at for row in found.values() if row["completed_at"]), default=0
            ),
            2,
        ),
        "bound_seconds": round(bound, 2),
    }
    assert all(code < 500 for code in codes), [(a.status_code, a.text[:300]) for a, _ in answers]
    assert not errors, errors
    figures |= await in_db(check_invariants)
    assert len(ids) == STARTS, [(a.status_code, a.text[:300]) for a, _ in answers]
    assert {row["status"] for row in found.values()} == {"completed"}
    assert figures["max_seconds_back_to_completed"] <= bound
