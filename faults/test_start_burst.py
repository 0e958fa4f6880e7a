"""A burst of starts: hundreds of REST starts at once, over two api processes, while the runs write their events.

Every start is answered 201 (no 5xx), no process logs "database is locked"
(on SQLite every writer queues on the busy timeout instead), and every run
completes.
"""

import asyncio
import time

from .clients import Rest
from .conftest import SLACK
from .invariants import check_invariants, wait_until_all_terminal
from .scenario import in_db, make_agent

CONFIG = {"steps": 1, "tokens": 5, "delay_ms": 10}
STARTS = 250
IN_FLIGHT = 100  # concurrent requests


async def test_a_burst_of_starts_is_answered_without_errors_and_every_run_completes(stack, owner, token, figures):
    stack.start_worker(concurrency=64)
    apis = [stack.start_api(), stack.start_api()]
    rest = Rest([api.url for api in apis], token, connections=IN_FLIGHT)
    agent = await make_agent(owner, CONFIG)

    async def timed_start(n):
        started = time.perf_counter()
        answer = await rest.start(agent, {"n": n}, api=n % 2)
        return answer.status_code, time.perf_counter() - started, answer.text[:300]

    burst_at = time.time()
    answers = await asyncio.gather(*(timed_start(n) for n in range(STARTS)))
    burst_seconds = time.time() - burst_at
    await rest.close()
    bound = 60.0
    await in_db(wait_until_all_terminal, bound)
    all_terminal = time.time() - burst_at

    figures |= await in_db(check_invariants)
    statuses = sorted({status for status, _, _ in answers})
    latencies = sorted(seconds for _, seconds, _ in answers)
    locked = stack.log_contains("database is locked")
    figures |= {
        "starts": STARTS,
        "concurrent_requests": IN_FLIGHT,
        "answers": statuses,
        "burst_seconds": round(burst_seconds, 2),
        "start_p50_ms": round(latencies[len(latencies) // 2] * 1000),
        "start_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000),
        "start_max_ms": round(latencies[-1] * 1000),
        "seconds_until_all_terminal": round(all_terminal, 2),
        "processes_logging_database_is_locked": len(locked),
        "bound_seconds": bound,
    }
    assert statuses == [201], [answer for answer in answers if answer[0] != 201][:5]
    assert not locked, locked
    assert figures["by_status"] == {"completed": STARTS}
    assert all_terminal <= bound + SLACK
