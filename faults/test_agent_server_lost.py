"""The agent server dies (SIGKILL) or hangs (SIGSTOP) while runs stream from it.

A killed server cuts every stream: its runs end `failed` at once with an
error a person can act on. A frozen one keeps the connections open but sends
nothing, not even its keep-alive pings: its runs end `failed` with
`mcp_timeout` once `MCP_READ_TIMEOUT` passes, and runs started while it
hangs end the same way. Once the server is back, new runs complete. A socket
client following every run sees each end exactly once.
"""

import asyncio

from testsupport.faults import freeze, kill, thaw

from .clients import Follower, Rest
from .conftest import READ_TIMEOUT, SLACK
from .invariants import check_invariants
from .scenario import in_db, make_agent, rows, start_runs, wait_until_status, wait_until_streaming

STREAMING = {"steps": 2, "tokens": 400, "delay_ms": 25}  # 10 s
SHORT = {"steps": 1, "tokens": 20, "delay_ms": 20}
TERMINAL = ["completed", "failed", "stopped"]


async def test_runs_end_failed_at_once_when_the_agent_server_is_killed(stack, owner, token, figures):
    rest, short_agent, streaming, follower, following = await _streaming_runs(stack, owner, token)

    fault_at = kill(stack.agent_server)
    bound = READ_TIMEOUT + SLACK
    await wait_until_status(streaming, TERMINAL, timeout=bound)
    await asyncio.to_thread(stack.restart_agent_server)
    later = await _runs_after_the_fault(rest, short_agent, follower, following)

    figures |= await in_db(check_invariants, [follower], fault_at=fault_at)
    found = await rows(streaming + later)
    assert {found[e]["status"] for e in streaming} == {"failed"}
    assert {found[e]["status"] for e in later} == {"completed"}
    seconds = max(found[e]["completed_at"].timestamp() - fault_at for e in streaming)
    figures |= {
        "runs_streaming_at_kill": len(streaming),
        "runs_after_restart": len(later),
        "max_seconds_to_failed": round(seconds, 2),
        "bound_seconds": bound,
    }
    assert seconds <= bound


async def test_runs_time_out_when_the_agent_server_hangs(stack, owner, token, figures):
    rest, short_agent, streaming, follower, following = await _streaming_runs(stack, owner, token)

    fault_at = freeze(stack.agent_server)
    try:
        during = await start_runs(rest, short_agent, 2)
        for execution_id in during:
            follower.follow(execution_id)
        bound = READ_TIMEOUT + SLACK
        await wait_until_status(streaming + during, TERMINAL, timeout=bound + 5)
    finally:
        thaw(stack.agent_server)
    later = await _runs_after_the_fault(rest, short_agent, follower, following)

    figures |= await in_db(check_invariants, [follower], fault_at=fault_at)
    found = await rows(streaming + during + later)
    assert {(found[e]["status"], found[e]["error_code"]) for e in streaming + during} == {("failed", "mcp_timeout")}
    assert {found[e]["status"] for e in later} == {"completed"}
    seconds = max(found[e]["completed_at"].timestamp() - fault_at for e in streaming + during)
    figures |= {
        "runs_streaming_at_freeze": len(streaming),
        "runs_started_while_frozen": len(during),
        "runs_after_thaw": len(later),
        "max_seconds_to_failed": round(seconds, 2),
        "bound_seconds": bound,
    }
    assert seconds <= bound


async def _streaming_runs(stack, owner, token):
    """A worker and an api; 6 runs streaming, followed by one socket client."""
    stack.start_worker(concurrency=8)
    api = stack.start_api()
    rest = Rest([api.url], token)
    streaming_agent = await make_agent(owner, STREAMING)
    short_agent = await make_agent(owner, SHORT)
    streaming = await start_runs(rest, streaming_agent, 6)
    await wait_until_streaming(streaming)
    follower = _follow(api, token, streaming)
    following = asyncio.create_task(follower.run(timeout=60))
    await follower.wait_connected()
    return rest, short_agent, streaming, follower, following


async def _runs_after_the_fault(rest, short_agent, follower, following):
    """3 short runs once the agent server is back, followed to their end with the rest."""
    later = await start_runs(rest, short_agent, 3)
    for execution_id in later:
        follower.follow(execution_id)
    follower.seal()
    await wait_until_status(later, TERMINAL, timeout=15 + SLACK)
    await following
    await rest.close()
    return later


def _follow(api, token, ids):
    follower = Follower([api.url.replace("http", "ws")], token, name="all")
    for execution_id in ids:
        follower.follow(execution_id)
    return follower
