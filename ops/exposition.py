"""What /metrics says: this process live, every other process's snapshot, and the scrape-time gauges.

Series stay per process (``process="<kind>:<host>:<pid>"``), never summed
here: a restarted worker's counters start again from zero under a new
``process``, which Prometheus's ``rate()`` and ``increase()`` handle as any
counter reset. A dead process's snapshot expires with its key (an hour), so
its series end then.
"""

import logging

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from . import metrics, selectors, store

logger = logging.getLogger(__name__)


def render():
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector())
    return generate_latest(registry)


class PlatformCollector:
    def collect(self):
        families = {}
        own = metrics.process_id()
        _merge(families, metrics.REGISTRY.collect(), own)
        for process, text in _snapshots(skip=own):
            try:
                _merge(families, text_string_to_metric_families(text), process)
            except Exception:  # one malformed snapshot must not hide the others
                logger.warning("Skipping the unreadable metrics snapshot of %s", process, exc_info=True)
        yield from families.values()
        yield from _scrape_time_gauges()


def _snapshots(skip):
    """(process, text) of every other process's snapshot; none while Redis is away (this process still shows)."""
    try:
        return list(_read_snapshots(skip))
    except Exception:
        logger.warning("Could not read the other processes' metrics from Redis", exc_info=True)
        return []


def _read_snapshots(skip):
    redis = store.redis()
    prefix = metrics.snapshot_key("")
    keys = [key for key in redis.scan_iter(match=prefix + "*", count=500) if key.decode() != prefix + skip]
    for key, text in zip(keys, redis.mget(keys) if keys else [], strict=True):
        if text is not None:
            yield key.decode()[len(prefix):], text.decode()


def _merge(families, collected, process):
    """Add ``collected``'s samples to ``families`` (one family per name, as the text format requires)."""
    for family in collected:
        merged = families.get(family.name)
        if merged is None:
            merged = families[family.name] = Metric(family.name, family.documentation, family.type, family.unit)
        for sample in family.samples:
            merged.add_sample(sample.name, {**sample.labels, "process": process}, sample.value)


def _scrape_time_gauges():
    """Read now, from the database, the heartbeat hash and the broker: the same whichever process answers."""
    depth = GaugeMetricFamily("agents_queue_depth", "Task messages waiting in each Celery queue.", labels=["queue"])
    for queue, count in selectors.queue_depths().items():
        depth.add_metric([queue], count)
    yield depth

    yield GaugeMetricFamily(
        "agents_interrupts_waiting", "Executions waiting for a person's answer.", value=selectors.interrupts_waiting()
    )
    by_status = GaugeMetricFamily("agents_executions", "Executions by current status.", labels=["status"])
    for status, count in selectors.executions_by_status().items():
        by_status.add_metric([status], count)
    yield by_status

    last = GaugeMetricFamily(
        "agents_worker_last_heartbeat_timestamp_seconds", "When each worker last wrote its heartbeat (Unix time).",
        labels=["worker"],
    )
    up = GaugeMetricFamily("agents_worker_up", "1 while a worker's heartbeat is within one lease, else 0.",
                           labels=["worker"])
    try:
        workers = selectors.workers(inspect=False)
    except Exception:
        logger.warning("Could not read the workers' heartbeats", exc_info=True)
        workers = []
    for worker in workers:
        last.add_metric([worker["name"]], worker["last_heartbeat"])
        up.add_metric([worker["name"]], 1 if worker["state"] == "online" else 0)
    yield last
    yield up
