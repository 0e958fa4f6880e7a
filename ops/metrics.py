"""This process's own metrics, and the one-line calls that count them.

Every platform process (api, worker) keeps its own prometheus-client
registry here. The processes are separate and may run on different hosts,
so a counter a worker increments is not in the api's memory: each process
writes its registry's text to Redis every ``METRICS_PUSH_SECONDS``
(``push_snapshot``, from ``ops.reporting``), and the api's /metrics shows
its own registry live beside the others' snapshots (``ops.exposition``).

The calls below are made after commit, by the services that change things
(``runs.services``, ``realtime.publish``, ``realtime.lifetime``); none of them
may fail their caller, and none touches the database or the network.
"""

import logging
import os
import socket

from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest

from contract.events import EXECUTION_STARTED

from . import store

logger = logging.getLogger(__name__)

# The ``_created`` series would double every counter and histogram for a
# timestamp Prometheus does not use.
disable_created_metrics()

REGISTRY = CollectorRegistry(auto_describe=True)

# Runs last from under a second (synthetic) to the hour of EXECUTION_TIMEOUT.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# Created -> started is a queue's wait: milliseconds when idle, minutes when the workers are full.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

executions_started = Counter(
    "agents_executions_started", "Executions claimed by a worker (pending -> running).", ["runtime"], registry=REGISTRY
)
executions_finished = Counter(
    "agents_executions_finished", "Executions that reached a terminal status.", ["runtime", "status"],
    registry=REGISTRY,
)
execution_duration = Histogram(
    "agents_execution_duration_seconds", "From started_at to completed_at of finished executions.", ["runtime"],
    buckets=DURATION_BUCKETS, registry=REGISTRY,
)
execution_start_latency = Histogram(
    "agents_execution_start_latency_seconds", "From created_at to started_at of claimed executions.", ["runtime"],
    buckets=LATENCY_BUCKETS, registry=REGISTRY,
)
events_stored_total = Counter("agents_events_stored", "Agent events stored by the event writer.", registry=REGISTRY)
events_broadcast_total = Counter(
    "agents_events_broadcast", "Execution events sent to the channel layer.", registry=REGISTRY
)
open_sockets = Gauge("agents_open_sockets", "WebSocket connections open on this api process.", registry=REGISTRY)
open_streams = Gauge("agents_open_streams", "SSE event streams open on this api process.", registry=REGISTRY)

_process = {"kind": "api"}


def set_process_kind(kind):
    """``api`` or ``worker``: what this process is, in its ``process`` label."""
    _process["kind"] = kind


def process_id():
    return f"{_process['kind']}:{socket.gethostname()}:{os.getpid()}"


def snapshot_key(process):
    return store.key(f"metrics:process:{process}")


def push_snapshot():
    """Write this process's registry to Redis; it expires if the process stops writing (it died)."""
    ttl = int(settings.OPS["SNAPSHOT_TTL_SECONDS"])
    store.redis().set(snapshot_key(process_id()), generate_latest(REGISTRY), ex=ttl)


# --- The calls that count ------------------------------------------------------------------


def execution_moved(execution, event_type):
    """An execution changed status (``runs.services._transition``, after commit)."""
    try:
        runtime = execution.agent.runtime
        if event_type == EXECUTION_STARTED:
            executions_started.labels(runtime).inc()
            if execution.started_at and execution.created_at:
                execution_start_latency.labels(runtime).observe(
                    max(0.0, (execution.started_at - execution.created_at).total_seconds())
                )
        if execution.is_terminal:
            executions_finished.labels(runtime, execution.status).inc()
            if execution.started_at and execution.completed_at:
                execution_duration.labels(runtime).observe(
                    max(0.0, (execution.completed_at - execution.started_at).total_seconds())
                )
    except Exception:  # counting must never break a transition's after-commit work
        logger.exception("Could not count the move of execution %s", getattr(execution, "id", None))


def events_stored(count):
    events_stored_total.inc(count)


def events_broadcast(sends):
    """A batch of channel-layer sends went out (``realtime.publish``): count the execution events in it."""
    count = sum(
        len(message.get("events") or ()) for _group, message in sends if message.get("type") == "execution.events"
    )
    if count:
        events_broadcast_total.inc(count)


def _connection_gauge(scope):
    return open_sockets if scope.get("type") == "websocket" else open_streams


def connection_opened(scope):
    """A WebSocket or an event stream began (``realtime.lifetime``)."""
    _connection_gauge(scope).inc()


def connection_closed(scope):
    _connection_gauge(scope).dec()
