"""The dashboard's charts: time series over the last hour or day, bucketed.

An hour is 60 buckets of a minute; a day is 96 buckets of 15 minutes: fine
enough to see a spike, few enough points for a chart, and enough runs in a
bucket for a p95 to mean something. Bucket edges are aligned to the bucket
size (UTC), so the same window asked twice gives the same buckets.

Runs come from the database (``created`` by ``created_at``, each terminal
status by ``completed_at``; durations of runs completed in the bucket),
scoped to what the user may see. Events per second and queue depths come
from the sampled history (``ops.history``); queue depths only for staff.
"""

import math
import time
from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Q

from runs.models import AgentExecution
from runs.selectors import executions_visible_to

from . import history

WINDOWS = {"hour": (3600, 60), "day": (24 * 3600, 15 * 60)}
FINISHED = [status.value for status in AgentExecution.TERMINAL_STATUSES]


def stats(user, window, now=None):
    length, size = WINDOWS[window]
    now = time.time() if now is None else now
    end = (math.floor(now / size) + 1) * size
    start = end - length
    count = length // size
    starts = [start + i * size for i in range(count)]

    def index(timestamp):
        position = int((timestamp - start) // size)
        return position if 0 <= position < count else None

    runs = [{"created": 0, **dict.fromkeys(FINISHED, 0)} for _ in starts]
    durations = defaultdict(list)
    since = datetime.fromtimestamp(start, UTC)
    rows = executions_visible_to(user).filter(Q(created_at__gte=since) | Q(completed_at__gte=since))
    for status, created_at, started_at, completed_at in rows.values_list(
        "status", "created_at", "started_at", "completed_at"
    ):
        i = index(created_at.timestamp())
        if i is not None:
            runs[i]["created"] += 1
        if completed_at is not None and status in FINISHED:
            i = index(completed_at.timestamp())
            if i is not None:
                runs[i][status] += 1
                if started_at is not None:
                    durations[i].append((completed_at - started_at).total_seconds())

    events, queues = _from_history(start, size, count, index, include_queues=user.is_staff)
    buckets = []
    for i, bucket_start in enumerate(starts):
        buckets.append({
            "start": datetime.fromtimestamp(bucket_start, UTC),
            "runs": runs[i],
            "duration_p50": _percentile(durations[i], 0.50),
            "duration_p95": _percentile(durations[i], 0.95),
            "events_per_second": events[i],
            "queue_depth": queues[i] if user.is_staff else None,
        })
    return {"window": window, "bucket_seconds": size, "buckets": buckets}


def _percentile(values, fraction):
    """Nearest-rank percentile, or None for an empty bucket."""
    if not values:
        return None
    values = sorted(values)
    return round(values[max(0, math.ceil(fraction * len(values)) - 1)], 3)


def _from_history(start, size, count, index, include_queues):
    """Events/s per bucket (None without two samples in it) and each queue's deepest sample per bucket."""
    events = [None] * count
    queues = [{} for _ in range(count)]
    stored = [0.0] * count
    spans = [0.0] * count
    previous = None
    # One sample before the window, so its first bucket has a rate too.
    for entry in history.samples(start - size):
        i = index(entry["t"])
        if previous is not None and i is not None:
            increase = 0.0
            for process, total in entry["events"].items():
                before = previous["events"].get(process)
                # A process new since the last sample, or restarted (its counter reset), counted from zero.
                increase += total - before if before is not None and total >= before else total
            stored[i] += increase
            spans[i] += entry["t"] - previous["t"]
        if i is not None and include_queues:
            for queue, depth in entry["queues"].items():
                queues[i][queue] = max(depth, queues[i].get(queue, 0))
        previous = entry
    for i in range(count):
        if spans[i] > 0:
            events[i] = round(stored[i] / spans[i], 3)
    return events, queues
