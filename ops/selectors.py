"""Reads for the operator: queue depths, workers, agent servers, counts from the database.

Each source may be away (the broker, a worker that does not answer Celery's
inspect, the agent server): what it would have said is left out or reported
as unreachable, never raised to the page.
"""

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import httpx
from django.conf import settings
from django.db.models import Count

from runs.agent_server import auth_headers
from runs.models import AgentExecution, Interrupt

from . import heartbeats

logger = logging.getLogger(__name__)


def queue_names():
    from config.celery import app

    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, *(app.amqp.queues or {})})


def queue_depths():
    """{queue: messages waiting} for every queue of this deployment, or {} when the broker is away."""
    from kombu.exceptions import ChannelError

    from config.celery import app

    depths = {}
    try:
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            for name in queue_names():
                try:
                    depths[name] = channel.queue_declare(name, passive=True).message_count
                except ChannelError:  # never declared, or empty: Redis keeps no empty list
                    depths[name] = 0
    except Exception:
        logger.warning("Could not read the queue depths from the broker", exc_info=True)
        return {}
    return depths


def executions_by_status():
    counts = dict(AgentExecution.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in AgentExecution.Status.values}


def interrupts_waiting():
    waiting = AgentExecution.Status.WAITING_INPUT
    return Interrupt.objects.filter(answered_at__isnull=True, execution__status=waiting).count()


def worker_state(info):
    lost = time.time() - float(info["last_heartbeat"]) > settings.AGENTS["LEASE_SECONDS"]
    return "lost" if lost else "online"


def workers(inspect=True):
    """Every worker heard from within a day, with its running executions and, if Celery answers, its pool's state."""
    entries = heartbeats.read()
    running = defaultdict(list)
    for execution_id, worker, lease in AgentExecution.objects.filter(
        status=AgentExecution.Status.RUNNING, worker__in=list(entries)
    ).values_list("id", "worker", "lease_expires_at"):
        running[worker].append({"id": execution_id, "lease_expires_at": lease})
    live = _inspect() if inspect and entries else {}
    result = []
    for name, info in sorted(entries.items()):
        state = worker_state(info)
        row = {
            "name": name,
            "host": info.get("host", ""),
            "pid": info.get("pid"),
            "pool": info.get("pool", ""),
            "concurrency": info.get("concurrency"),
            "queues": info.get("queues", []),
            "started_at": info.get("started_at"),
            "last_heartbeat": info["last_heartbeat"],
            "state": state,
            "running": running.get(name, []),
            "active_tasks": None,
        }
        celery = live.get((info.get("node"), info.get("pid"))) if state == "online" else None
        if celery:
            row["pool"] = celery.get("pool") or row["pool"]
            row["concurrency"] = celery.get("concurrency") or row["concurrency"]
            row["active_tasks"] = celery.get("active_tasks")
        result.append(row)
    return result


def _inspect():
    """{(node, pid): {pool, concurrency, active_tasks}} from the workers that answer within a second.

    Celery's ``inspect()`` merges the replies of workers sharing a node name
    (several ``celery@host`` on one host); ``broadcast`` keeps each reply, and
    the pid tells them apart.
    """
    from config.celery import app

    def ask(command):
        return [(node, reply) for answer in app.control.broadcast(command, reply=True, timeout=1)
                for node, reply in answer.items()]

    try:
        # Both wait the whole timeout for replies: asked at once, the page waits one second, not two.
        with ThreadPoolExecutor(max_workers=2) as pool:
            stats, active = pool.submit(ask, "stats"), pool.submit(ask, "active")
            stats, active = stats.result(), active.result()
    except Exception:
        logger.warning("Celery's workers did not answer", exc_info=True)
        return {}
    # A task's worker_pid is its worker's pid with a thread pool (the tasks run in the worker itself).
    active_by_pid = defaultdict(int)
    for _node, tasks in active:
        for task in tasks if isinstance(tasks, list) else []:
            active_by_pid[task.get("worker_pid")] += 1
    found = {}
    for node, node_stats in stats:
        if not isinstance(node_stats, dict):
            continue
        pool = node_stats.get("pool") or {}
        implementation = str(pool.get("implementation", "")).rsplit(":", 1)[-1]
        pid = node_stats.get("pid")
        found[(node, pid)] = {
            "pool": {"TaskPool": "threads"}.get(implementation, implementation),
            "concurrency": pool.get("max-concurrency"),
            "active_tasks": active_by_pid.get(pid, 0),
        }
    return found


def agent_servers():
    """The agent server(s) the workers use, each with its health as seen from here."""
    return [_agent_server_health(settings.AGENTS["MCP_URL"])]


def _agent_server_health(url):
    started = time.monotonic()
    health = {"url": url, "reachable": False, "latency_ms": None, "status": None, "runtimes": [],
              "active_runs": None, "error": ""}
    try:
        timeout = httpx.Timeout(3.0, connect=min(settings.AGENTS["MCP_CONNECT_TIMEOUT"], 3.0))
        response = httpx.get(f"{url}/health", headers=auth_headers(), timeout=timeout)
    except httpx.HTTPError as exc:
        health["error"] = f"unreachable: {type(exc).__name__}"
        return health
    health["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    health["reachable"] = True
    try:
        body = response.json()
        health.update(status=body.get("status"), runtimes=list(body.get("runtimes") or []),
                      active_runs=body.get("active_runs"))
    except ValueError:
        health["error"] = f"answered {response.status_code} without JSON"
    if response.status_code != 200:
        health["error"] = health["error"] or f"answered {response.status_code}"
    return health
