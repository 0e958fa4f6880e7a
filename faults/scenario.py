"""Steps the scenarios share: agents, starting runs over REST, and waiting on what the database says.

Scenarios are async (their socket clients run on the test's loop); the
database is read through ``in_db``, on a thread, as Django requires.
"""

import asyncio
import time

from asgiref.sync import sync_to_async

from contract.events import LIFECYCLE_TYPES
from runs.models import AgentEvent, AgentExecution

from .clients import Follower


async def in_db(function, *args, **kwargs):
    return await sync_to_async(function, thread_sensitive=True)(*args, **kwargs)


def create_agent(owner, config, name="Fault"):
    from agents.models import Agent

    return str(Agent.objects.create(owner=owner, name=name, runtime="synthetic", config=config).id)


async def make_agent(owner, config, name="Fault"):
    return await in_db(create_agent, owner, config, name)


def run_seconds(config):
    """About how long a synthetic run of ``config`` streams (its token delays)."""
    return config.get("tokens", 0) * config.get("delay_ms", 0) / 1000


async def start_runs(rest, agent_id, count, api=None, at_once=50):
    """Start ``count`` runs over REST (at most ``at_once`` in flight); every answer must be a 201."""
    ids = []
    for first in range(0, count, at_once):
        answers = await asyncio.gather(
            *(rest.start(agent_id, {"n": n}, api=api) for n in range(first, min(count, first + at_once)))
        )
        for answer in answers:
            assert answer.status_code == 201, (answer.status_code, answer.text[:500])
            ids.append(answer.json()["id"])
    return ids


def _with_agent_events(ids):
    return {
        str(execution_id)
        for execution_id in AgentEvent.objects.filter(execution_id__in=ids)
        .exclude(event_type__in=LIFECYCLE_TYPES)
        .values_list("execution_id", flat=True)
        .distinct()
    }


async def with_agent_events(ids):
    """The ids among ``ids`` that have stored at least one event of the agent's own."""
    return await in_db(_with_agent_events, list(ids))


def _rows(ids):
    return {
        str(row["id"]): row
        for row in AgentExecution.objects.filter(id__in=list(ids)).values(
            "id", "status", "error_code", "worker", "completed_at", "last_seq"
        )
    }


async def rows(ids):
    """{id: {status, error_code, worker, completed_at, last_seq}} for the given executions."""
    return await in_db(_rows, ids)


async def wait_for(check, timeout, description, interval=0.1):
    """Poll the async ``check`` until it returns something truthy; return it, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{description} did not happen within {timeout} s")
        await asyncio.sleep(interval)


async def wait_until_streaming(ids, timeout=30):
    """Until every one of ``ids`` has stored an agent event."""

    async def all_streaming():
        return len(await with_agent_events(ids)) == len(ids)

    await wait_for(all_streaming, timeout, f"{len(ids)} runs streaming")


async def wait_until_status(ids, statuses, timeout=30):
    statuses = {statuses} if isinstance(statuses, str) else set(statuses)

    async def reached():
        found = await rows(ids)
        return len(found) == len(ids) and all(row["status"] in statuses for row in found.values())

    await wait_for(reached, timeout, f"{len(ids)} runs {sorted(statuses)}")


def ws_base(api):
    """The WebSocket base URL of an api process."""
    return api.url.replace("http://", "ws://")


def follower_of(apis, token, ids, name=""):
    """A follower of ``ids`` through the given api processes, sealed: it follows nothing more."""
    follower = Follower([ws_base(api) for api in apis], token, name=name)
    for execution_id in ids:
        follower.follow(execution_id)
    follower.seal()
    return follower
