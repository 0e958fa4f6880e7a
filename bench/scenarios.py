"""The measurements. Each returns a dict of figures and a ``verified`` flag."""

import asyncio
import time
from datetime import datetime, timedelta

import httpx
from asgiref.sync import sync_to_async

from .clients import StreamWatcher, Watcher, exactly_once_in_order

START_SPACING = 0.1  # seconds between two timed starts
SETTLE_SECONDS = 2  # between measurements, and after a burst of connections
# The events of a synthetic run with no steps besides its tokens:
# execution_started and the terminal event.
FRAME_EVENTS = 2


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ms(seconds):
    return None if seconds is None else round(seconds * 1000, 2)


@sync_to_async
def make_agent(owner, name, config):
    from agents.models import Agent

    return str(Agent.objects.create(owner=owner, name=name, runtime="synthetic", config=config).id)


@sync_to_async
def stored_counts(execution_ids):
    from django.db.models import Count

    from runs.models import AgentEvent, AgentExecution

    counts = dict(
        AgentEvent.objects.filter(execution_id__in=execution_ids)
        .values_list("execution_id")
        .annotate(n=Count("id"))
        .values_list("execution_id", "n")
    )
    last_seqs = dict(AgentExecution.objects.filter(id__in=execution_ids).values_list("id", "last_seq"))
    return {str(key): (counts.get(key, 0), last_seqs[key]) for key in last_seqs}


async def run_and_watch(api, owner, executions, config, timeout, over_socket=False):
    """Start ``executions`` runs (one agent and socket each), wait for all; returns (watchers, ids, seconds).

    Over REST, a socket subscribes once the id is known (and gets the first
    events by replay); over the socket (``start_agent``), it is subscribed
    from the start, so every event it gets is live: what latency needs.
    """
    agent_ids = [await make_agent(owner, f"bench-{n}", config) for n in range(executions)]
    watchers = await open_watchers(api, agent_ids)
    started = time.perf_counter()
    if over_socket:
        ids = await asyncio.gather(*(watcher.start_agent() for watcher in watchers))
    else:
        ids = await asyncio.gather(*(api.start(agent_id) for agent_id in agent_ids))
        for watcher, execution_id in zip(watchers, ids):
            await watcher.subscribe(execution_id)
    await asyncio.gather(*(watcher.wait(execution_id, timeout) for watcher, execution_id in zip(watchers, ids)))
    elapsed = time.perf_counter() - started
    return watchers, list(ids), elapsed


async def open_watchers(api, agent_ids, at_once=25):
    """Open one socket per agent, a few at a time: daphne's listen backlog is short."""
    watchers = []
    for start in range(0, len(agent_ids), at_once):
        batch = agent_ids[start : start + at_once]
        watchers += await asyncio.gather(*(Watcher(api, agent_id).open() for agent_id in batch))
    return watchers


async def verify(watchers, ids, expected_events):
    stored = await stored_counts(ids)
    ok = True
    for watcher, execution_id in zip(watchers, ids):
        records = watcher.received[execution_id]
        ok &= exactly_once_in_order(records) and len(records) == expected_events
        ok &= stored[execution_id] == (expected_events, expected_events)
        ok &= records[-1][1] == "execution_completed"
    return ok


async def close_all(watchers):
    await asyncio.gather(*(watcher.close() for watcher in watchers))


def delivery_window(watchers, ids):
    """From the first event any socket received to the last one: the streaming time."""
    times = [record[2] for watcher, execution_id in zip(watchers, ids) for record in watcher.received[execution_id]]
    return max(times) - min(times)


async def throughput(api, owner, executions, tokens):
    """Delivered events/s end to end, every event stored and received exactly once."""
    config = {"steps": 0, "tokens": tokens, "delay_ms": 0}
    watchers, ids, elapsed = await run_and_watch(api, owner, executions, config, timeout=600)
    return await _delivered(watchers, ids, executions, tokens + FRAME_EVENTS, "ours")


async def naive_throughput(stack, api, owner, executions, tokens):
    """The same measure on the naive path: a commit and a core-layer group_send per event."""
    config = {"steps": 0, "tokens": tokens, "delay_ms": 0}
    agent_ids = [await make_agent(owner, f"naive-{n}", config) for n in range(executions)]
    watchers = [await Watcher(api, agent_id).open() for agent_id in agent_ids]
    ids = [await create_pending(agent_id) for agent_id in agent_ids]
    for watcher, execution_id in zip(watchers, ids):
        await watcher.subscribe(execution_id)
    stack.start_naive_worker(ids)
    await asyncio.gather(*(watcher.wait(execution_id, 900) for watcher, execution_id in zip(watchers, ids)))
    return await _delivered(watchers, ids, executions, tokens + FRAME_EVENTS, "naive")


async def _delivered(watchers, ids, executions, expected, label):
    verified = await verify(watchers, ids, expected)
    seconds = delivery_window(watchers, ids)
    await close_all(watchers)
    total = executions * expected
    return {
        "path": label,
        "executions": executions,
        "events": total,
        "seconds": round(seconds, 3),
        "events_per_second": round(total / seconds),
        "verified": verified,
    }


@sync_to_async
def create_pending(agent_id):
    from runs.models import AgentExecution

    return str(AgentExecution.objects.create(agent_id=agent_id).id)


def token_latencies(watchers, ids):
    latencies = []
    for watcher, execution_id in zip(watchers, ids):
        for _, kind, received_at, message in watcher.received[execution_id]:
            if kind == "agent_event" and "emitted_at" in message["content"]:
                latencies.append(received_at - message["content"]["emitted_at"])
    return latencies


async def latency(api, owner, executions, rate_per_execution, seconds):
    """Event latency (agent server emits -> socket receives) at a fixed offered load."""
    tokens = int(rate_per_execution * seconds)
    config = {"steps": 0, "tokens": tokens, "delay_ms": int(1000 / rate_per_execution), "stamp": True}
    watchers, ids, elapsed = await run_and_watch(
        api, owner, executions, config, timeout=seconds * 5 + 60, over_socket=True
    )
    verified = await verify(watchers, ids, tokens + FRAME_EVENTS)
    values = token_latencies(watchers, ids)
    await close_all(watchers)
    return {
        "offered_events_per_second": executions * rate_per_execution,
        "events": len(values),
        "p50_ms": ms(percentile(values, 0.5)),
        "p99_ms": ms(percentile(values, 0.99)),
        "max_ms": ms(max(values) if values else None),
        "verified": verified,
    }


async def start_latency(api, owner, samples):
    """REST POST -> execution_started on a socket that subscribes as soon as the id is known.

    Starts are a moment apart, so each sample times one start rather than
    a start racing the previous run's last writes; one untimed start first
    warms what every process sets up on first use (connections, listeners).
    """
    agent_id = await make_agent(owner, "bench-start", {"steps": 0, "tokens": 1, "delay_ms": 0})
    watcher = await Watcher(api, agent_id).open()
    values = []
    for sample in range(-1, samples):
        await asyncio.sleep(START_SPACING)
        began = time.time()
        execution_id = await api.start(agent_id)
        await watcher.subscribe(execution_id)
        await watcher.wait(execution_id, 30)
        started = next(record for record in watcher.received[execution_id] if record[1] == "execution_started")
        if sample >= 0:
            values.append(started[2] - began)
    await watcher.close()
    return {"samples": samples, "p50_ms": ms(percentile(values, 0.5)), "p99_ms": ms(percentile(values, 0.99))}


async def start_latency_with_streams(api, owner, samples, streams):
    """Start latency as ``start_latency`` measures it, first alone, then with ``streams`` SSE streams open.

    The streams follow executions that stay pending (rows with no task), so
    they are open and idle the whole time, as streams of waiting runs are:
    what is measured is what open streams cost the api, not extra load. With
    streams served by request threads, a few dozen would stall every REST
    call; on the event loop they must not slow the starts. Afterwards the
    executions are stopped and every stream must end with its one event.
    """
    alone = await start_latency(api, owner, samples)
    agent_id = await make_agent(owner, "bench-sse", {"steps": 0, "tokens": 1, "delay_ms": 0})
    ids = await pending_executions(agent_id, streams)
    http = httpx.AsyncClient(
        base_url=api.base_url,
        headers={"Authorization": f"Token {api.token}"},
        timeout=httpx.Timeout(60, read=None),
        trust_env=False,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
    )
    watchers = []
    for execution_id in ids:
        watchers.append(StreamWatcher(http, execution_id).open())
        if len(watchers) % 25 == 0:  # daphne's listen backlog is short
            await asyncio.wait_for(asyncio.gather(*(watcher.opened.wait() for watcher in watchers)), 60)
    await asyncio.wait_for(asyncio.gather(*(watcher.opened.wait() for watcher in watchers)), 60)
    # As between measurements: the tail of opening 200 connections must not count against the starts.
    await asyncio.sleep(SETTLE_SECONDS)
    loaded = await start_latency(api, owner, samples)
    for execution_id in ids:
        response = await api.http.post(f"/api/executions/{execution_id}/stop/")
        response.raise_for_status()
    await asyncio.wait_for(asyncio.gather(*(watcher.finished.wait() for watcher in watchers)), 60)
    verified = all([record[:2] for record in watcher.received] == [(1, "execution_stopped")] for watcher in watchers)
    await close_all(watchers)
    await http.aclose()
    return {
        "streams": streams,
        "samples": samples,
        "p50_ms_without": alone["p50_ms"],
        "p50_ms": loaded["p50_ms"],
        "p99_ms": loaded["p99_ms"],
        "ratio": round(loaded["p50_ms"] / alone["p50_ms"], 2),
        "verified": verified,
    }


@sync_to_async
def pending_executions(agent_id, count):
    """Executions that stay pending: rows made without a task to run them."""
    from runs.models import AgentExecution

    rows = AgentExecution.objects.bulk_create(AgentExecution(agent_id=agent_id) for _ in range(count))
    return [str(row.id) for row in rows]


async def sustained(api, owner, executions, rate_per_execution, seconds, ramp, cpu_seconds):
    """Latency while ``executions`` stream at once, measured once all of them are streaming.

    Starts are spread over ``ramp`` seconds, as load arrives in life; only
    events emitted after the last start count, so what is measured is the
    load sustained, not the burst of starting hundreds of runs at once.

    The cost of an event is measured in the same steady window: the CPU
    each process (``cpu_seconds()``, by name) spent from the last start
    until ``seconds`` later, over the events the sockets received in it.
    """
    tokens = int(rate_per_execution * (seconds + ramp))
    config = {"steps": 0, "tokens": tokens, "delay_ms": int(1000 / rate_per_execution), "stamp": True}
    agent_ids = [await make_agent(owner, f"load-{n}", config) for n in range(executions)]
    watchers = await open_watchers(api, agent_ids)
    starts = []
    for watcher in watchers:
        starts.append(asyncio.create_task(watcher.start_agent()))
        await asyncio.sleep(ramp / executions)
    # A start the api never answers (a collapsed step) fails the step, not the bench.
    answers = await asyncio.gather(*starts, return_exceptions=True)
    started = [(w, i) for w, i in zip(watchers, answers) if not isinstance(i, TimeoutError)]
    streaming, ids = [w for w, _ in started], [i for _, i in started]
    all_started, spent_before = time.time(), cpu_seconds()
    # Every run streams at least ``seconds`` more: the first started ends about then.
    await asyncio.sleep(seconds)
    window_ended, spent_after = time.time(), cpu_seconds()
    try:
        await asyncio.gather(*(w.wait(i, seconds * 10 + ramp + 60) for w, i in started))
        verified = len(ids) == executions and await verify(streaming, ids, tokens + FRAME_EVENTS)
    except TimeoutError:
        verified = False  # a collapsed step: some run never ended in time
    values = [
        received_at - message["content"]["emitted_at"]
        for watcher, execution_id in started
        for _, kind, received_at, message in watcher.received[execution_id]
        if kind == "agent_event" and message["content"].get("emitted_at", 0) >= all_started
    ]
    in_window = sum(
        all_started <= record[2] < window_ended
        for watcher, execution_id in started
        for record in watcher.received[execution_id]
    )
    await close_all(watchers)
    return {
        "offered_events_per_second": executions * rate_per_execution,
        "ramp_seconds": ramp,
        "unanswered_starts": executions - len(ids),
        "events": len(values),
        "p50_ms": ms(percentile(values, 0.5)),
        "p99_ms": ms(percentile(values, 0.99)),
        "max_ms": ms(max(values) if values else None),
        "verified": verified,
        "delivered_events_per_second": round(in_window / (window_ended - all_started)),
        "cpu_us_per_event": cpu_per_event(spent_before, spent_after, in_window),
    }


def cpu_per_event(spent_before, spent_after, events):
    """Per process, the CPU microseconds it spent between two ``cpu_seconds()`` readings, per event."""
    return {name: round((spent_after[name] - spent_before[name]) * 1e6 / max(events, 1)) for name in spent_before}


async def concurrency(
    api, owner, ladder, rate_per_execution, seconds, starts_per_second, cpu_seconds, p99_limit=0.25
):
    """The most executions streaming at once with no lost event and p99 latency under the limit.

    Every step of the ladder runs, past a failed one too, so the whole
    curve (latency and CPU per event against streams) is printed; the
    figure is the last step of the unbroken run of passes from the bottom.
    """
    steps = []
    best, broken = 0, False
    for executions in ladder:
        if steps:
            await asyncio.sleep(SETTLE_SECONDS)
        ramp = executions / starts_per_second
        result = await sustained(api, owner, executions, rate_per_execution, seconds, ramp, cpu_seconds)
        passed = result["verified"] and result["p99_ms"] is not None and result["p99_ms"] < p99_limit * 1000
        steps.append({"executions": executions, **result, "passed": passed})
        broken |= not passed
        if not broken:
            best = executions
    return {
        "max_concurrent_executions": best,
        "p99_limit_ms": p99_limit * 1000,
        "steps": steps,
        "cost_spread": cost_spread(steps),
    }


def cost_spread(steps):
    """Per process, the dearest step's CPU per event over the cheapest's (1.0 is a flat curve)."""
    spread = {}
    for name in steps[0]["cpu_us_per_event"] if steps else ():
        costs = [step["cpu_us_per_event"][name] for step in steps if step["cpu_us_per_event"][name] > 0]
        spread[name] = round(max(costs) / min(costs), 2) if costs else None
    return spread


async def replay(api, owner, sizes, cpu_seconds):
    """Time for a reconnecting client to receive a whole stored execution, for each size in ``sizes`` (events)."""
    results = [await replay_one(api, owner, events, cpu_seconds) for events in sizes]
    return {"sizes": results, "verified": all(result["verified"] for result in results)}


async def replay_one(api, owner, events, cpu_seconds):
    config = {"steps": 0, "tokens": events - FRAME_EVENTS, "delay_ms": 0}
    watchers, ids, _ = await run_and_watch(api, owner, 1, config, timeout=600)
    await close_all(watchers)
    watcher = await Watcher(api, watchers[0].agent_id).open()
    spent_before = cpu_seconds()
    began = time.perf_counter()
    await watcher.subscribe(ids[0], after_seq=0)
    await watcher.wait(ids[0], 120)
    elapsed = time.perf_counter() - began
    spent_after = cpu_seconds()
    records = watcher.received[ids[0]]
    await watcher.close()
    return {
        "events": len(records),
        "seconds": round(elapsed, 3),
        "events_per_second": round(len(records) / elapsed),
        "cpu_us_per_event": cpu_per_event(spent_before, spent_after, len(records)),
        "verified": exactly_once_in_order(records) and len(records) == events,
    }


# One run in this many failed: the filtered page has to look past the others.
FAILED_EVERY = 100


@sync_to_async
def insert_history(agent_id, count):
    """``count`` ended runs of one agent, one a second back from now, inserted by the database itself."""
    from django.db import connection

    if connection.vendor == "postgresql":
        numbers = f"generate_series(1, {int(count)}) AS n(i)"
        new_id, ago = "gen_random_uuid()", "now() - i * interval '1 second'"
        prefix = ""
    else:
        numbers = "n"
        new_id = "lower(hex(randomblob(16)))"
        ago = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || i || ' seconds')"
        prefix = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {int(count)}) "
    # %% is a literal % in a query with parameters, for both drivers.
    status = f"CASE WHEN i %% {FAILED_EVERY} = 0 THEN 'failed' ELSE 'completed' END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{prefix}INSERT INTO agents_agentexecution (id, agent_id, status, input_data, error_message, error_code,"
            f" created_at, last_seq, worker, attempt) SELECT {new_id}, %s, {status}, '{{}}', '', '', {ago}, 0, '', 1"
            f" FROM {numbers}",
            [str(agent_id).replace("-", "") if connection.vendor != "postgresql" else str(agent_id)],
        )
        cursor.execute("ANALYZE")


async def runs_page(api, owner, executions, samples=20):
    """The runs view's page over a long history: the newest, one half way back, the failed ones, the next page."""
    agent_id = await make_agent(owner, "history", {"steps": 0, "tokens": 1, "delay_ms": 0})
    began = time.perf_counter()
    await insert_history(agent_id, executions)
    inserted = time.perf_counter() - began

    # Every run the bench user may see (the other measurements' runs are a few hundred more).
    first, first_s = await timed_get(api, "/api/runs/", {}, samples)
    newest = datetime.fromisoformat(first["results"][-1]["created_at"])
    middle = (newest - timedelta(seconds=executions // 2)).isoformat()
    deep, deep_s = await timed_get(api, "/api/runs/", {"created_before": middle}, samples)
    failed, failed_s = await timed_get(api, "/api/runs/", {"status": "failed"}, samples)
    following, next_s = await timed_get(api, first["next"], {}, samples)
    return {
        "executions": executions,
        "insert_seconds": round(inserted, 1),
        "first_page_ms": ms(first_s),
        "deep_page_ms": ms(deep_s),
        "failed_page_ms": ms(failed_s),
        "next_page_ms": ms(next_s),
        "deep_to_first": round(deep_s / first_s, 2),
        "verified": (
            len(first["results"]) == len(deep["results"]) == len(following["results"]) == 50
            and first["count"] >= min(executions, first["count_limit"])
            and all(row["status"] == "failed" for row in failed["results"])
        ),
    }


async def timed_get(api, url, params, samples):
    """The last response's body, and the median time of ``samples`` GETs."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        response = await api.http.get(url, params=params)
        times.append(time.perf_counter() - start)
        response.raise_for_status()
    return response.json(), percentile(times, 0.5)
