"""Each worker's heartbeat in one Redis hash: what the workers page knows of a worker that vanished.

Celery keeps no lasting record of a worker that died, so each worker writes
``{host, pid, pool, concurrency, queues, node, started_at, last_heartbeat}``
under its name (``host:pid``, as ``runs.services.worker_name``) every
``EXECUTION_HEARTBEAT_SECONDS``, from a thread started when it is ready: the
per-run heartbeat of ``runs.worker.host`` beats only while runs are in,
and an idle worker is alive too. A worker that stops gracefully removes
its entry; a killed one's entry stays, ``lost`` after one lease, and is
pruned a day later when the hash is read.
"""

import json
import time

from . import store

PRUNE_AFTER_SECONDS = 24 * 3600


def _hash():
    return store.key("workers:heartbeats")


def beat(name, info):
    store.redis().hset(_hash(), name, json.dumps({**info, "last_heartbeat": time.time()}))


def forget(name):
    store.redis().hdel(_hash(), name)


def read():
    """Every worker heard from within a day: {name: info}; older entries are removed."""
    entries, stale, now = {}, [], time.time()
    for name, raw in store.redis().hgetall(_hash()).items():
        name = name.decode()
        try:
            info = json.loads(raw)
            last = float(info["last_heartbeat"])
        except (ValueError, KeyError, TypeError):
            stale.append(name)
            continue
        if now - last > PRUNE_AFTER_SECONDS:
            stale.append(name)
        else:
            entries[name] = info
    if stale:
        store.redis().hdel(_hash(), *stale)
    return entries
