"""The background threads of ``ops`` in each platform process.

* every process: its metrics snapshot to Redis every ``METRICS_PUSH_SECONDS``;
* a worker: its heartbeat every ``EXECUTION_HEARTBEAT_SECONDS`` (``ops.heartbeats``);
* an api process: a sample for the charts every ``METRICS_SAMPLE_SECONDS`` (``ops.history``).

Started by ``ops.tasks`` when a worker is ready and by ``config.asgi`` in an
api process. Each is a daemon thread that ends with its process; a failure
(Redis away) is logged and the next round tries again.
"""

import logging
import threading

from django.conf import settings

from . import metrics

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_started = set()


def _every(name, interval, work):
    def loop():
        stopped = threading.Event()  # never set: the thread ends with its process
        while True:
            try:
                work()
            except Exception:
                logger.warning("%s failed; trying again in %.1f s", name, interval, exc_info=True)
            stopped.wait(interval)

    with _lock:
        if name in _started:
            return
        _started.add(name)
    threading.Thread(target=loop, name=name, daemon=True).start()


def start_api():
    from . import history

    metrics.set_process_kind("api")
    _every("metrics-push", settings.OPS["PUSH_SECONDS"], metrics.push_snapshot)
    _every("metrics-sample", settings.OPS["SAMPLE_SECONDS"], history.sample)


def start_worker(name, info):
    from . import heartbeats

    metrics.set_process_kind("worker")
    _every("metrics-push", settings.OPS["PUSH_SECONDS"], metrics.push_snapshot)
    _every("worker-heartbeat", settings.AGENTS["HEARTBEAT_SECONDS"], lambda: heartbeats.beat(name, info))
