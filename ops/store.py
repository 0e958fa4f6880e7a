"""The Redis keys of ``ops`` and the one client that reads and writes them.

Several deployments may share one Redis, told apart by their Celery queue
(``CELERY_QUEUE``); their keys are told apart the same way, so a test run or a
benchmark beside a deployment never shows up in its /metrics or its workers
page. The default deployment's keys have no prefix.
"""

import threading

from django.conf import settings
from redis import Redis

_lock = threading.Lock()
_client = []


def key(name):
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    return name if queue == "celery" else f"{queue}:{name}"


def redis():
    """A client with short timeouts: nothing in ``ops`` may hang a request or a process's threads on Redis."""
    with _lock:
        if not _client:
            _client.append(Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2))
        return _client[0]
