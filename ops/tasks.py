"""The worker's side of ``ops``: its metrics push and heartbeat start when it is ready.

No tasks: the charts are sampled by the api processes (``ops.history``).
"""

import logging
import time

from celery.signals import worker_ready, worker_shutdown

from runs.services import worker_name

from . import heartbeats, reporting

logger = logging.getLogger(__name__)


def _worker_info(consumer):
    controller = getattr(consumer, "controller", None)
    pool_cls = getattr(controller, "pool_cls", None)
    pool = getattr(pool_cls, "__module__", str(pool_cls or "")).rsplit(".", 1)[-1]
    queues = sorted(getattr(consumer.app.amqp.queues, "consume_from", None) or consumer.app.amqp.queues)
    host, pid = worker_name().rsplit(":", 1)
    return {
        "host": host,
        "pid": int(pid),
        "node": getattr(consumer, "hostname", ""),
        "pool": {"thread": "threads"}.get(pool, pool),
        "concurrency": getattr(controller, "concurrency", None),
        "queues": queues,
        "started_at": time.time(),
    }


@worker_ready.connect
def _report_from_worker(sender=None, **_):
    reporting.start_worker(worker_name(), _worker_info(sender))


@worker_shutdown.connect
def _forget_worker(**_):
    # A worker that stops on purpose leaves no "lost" entry behind.
    try:
        heartbeats.forget(worker_name())
    except Exception:
        logger.warning("Could not remove this worker's heartbeat", exc_info=True)
