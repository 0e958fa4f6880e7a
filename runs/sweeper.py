"""The sweep in every long-lived platform process: a daemon thread calling ``services.sweep_executions``.

Workers start it when they are ready (``runs.tasks``), api processes when
``config.asgi`` loads; beat also schedules the sweep as a task. Sweeping
is a few indexed queries that find nothing on a healthy system, and every
change it makes is a conditional UPDATE, so many processes sweeping at once
are safe. Any one of them being up bounds how long a dead worker's runs stay
``running`` (lease + interval) and how long a lost task message leaves an
execution ``pending`` (redispatch delay + interval).
"""

import logging
import random
import threading

from django.conf import settings
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_thread = None


def start():
    """Start this process's sweeper thread (once; later calls do nothing)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_sweep_forever, name="execution-sweeper", daemon=True)
            _thread.start()


def _sweep_forever():
    from . import services

    interval = settings.AGENTS["REAP_INTERVAL"]
    stopped = threading.Event()  # never set: the thread ends with its process
    # Spread out so the processes of one deployment do not all sweep in step.
    while not stopped.wait(interval * random.uniform(0.8, 1.2)):
        try:
            close_old_connections()
            services.sweep_executions()
        except Exception:
            logger.exception("Sweeping executions failed; trying again in %.1f s", interval)
            # A broken connection is not reused by the next sweep.
            connection.close()
