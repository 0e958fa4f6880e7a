"""A day of samples for the charts: the events-stored totals of every process and the queue depths.

/metrics is a snapshot; a chart of events per second or of a queue's depth
needs the past. Each api process samples every ``METRICS_SAMPLE_SECONDS``
into one Redis sorted set (score: the sample's time), trimmed to a day.
Sampled by the api processes, not by a beat task: beat is optional here
(the sweep runs without it), and a sample that waits in a full queue would
record the wrong moment. Several api processes sample at once, so each
time slot is claimed with ``SET NX`` and only one sample is kept per slot.

A sample keeps each process's total rather than their sum, so a restarted
process's counter (back to zero) counts as a reset, not a drop.
"""

import json
import time

from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from . import metrics, selectors, store

KEEP_SECONDS = 24 * 3600


def _key():
    return store.key("metrics:history")


def events_stored_by_process():
    """{process: agents_events_stored_total} from every process's snapshot in Redis (this one live)."""
    redis = store.redis()
    prefix = metrics.snapshot_key("")
    totals = {metrics.process_id(): metrics.REGISTRY.get_sample_value("agents_events_stored_total") or 0.0}
    keys = list(redis.scan_iter(match=prefix + "*", count=500))
    for key, text in zip(keys, redis.mget(keys) if keys else [], strict=True):
        process = key.decode()[len(prefix):]
        if text is None or process in totals:
            continue
        for family in text_string_to_metric_families(text.decode()):
            if family.name == "agents_events_stored":
                totals[process] = sum(sample.value for sample in family.samples if sample.name.endswith("_total"))
    return totals


def sample(now=None):
    """Record one sample, unless another process already took this slot; returns whether it did."""
    now = time.time() if now is None else now
    interval = settings.OPS["SAMPLE_SECONDS"]
    slot = int(now // interval)
    redis = store.redis()
    if not redis.set(store.key(f"metrics:history:slot:{slot}"), 1, nx=True, ex=int(interval * 3) + 1):
        return False
    entry = {"t": now, "events": events_stored_by_process(), "queues": selectors.queue_depths()}
    with redis.pipeline() as pipe:
        pipe.zadd(_key(), {json.dumps(entry, sort_keys=True): now})
        pipe.zremrangebyscore(_key(), "-inf", now - KEEP_SECONDS)
        pipe.execute()
    return True


def samples(since):
    return [json.loads(raw) for raw in store.redis().zrangebyscore(_key(), since, "+inf")]
