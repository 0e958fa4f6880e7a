"""Launchers for the platform's own processes in integration tests: worker, beat and api.

Each is a ``ManagedProcess`` started from this checkout's interpreter, so a
test exercises exactly the commands that ``make run`` and docker-compose run.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from .processes import LOOPBACK, ManagedProcess, free_port, http_ready

CELERY = [sys.executable, "-m", "celery", "-A", "config"]


# The thread pool, as in production; no gossip, mingle or event heartbeats between test workers.
WORKER_OPTIONS = ["--pool", "threads", "--without-gossip", "--without-mingle", "--without-heartbeat"]


class LoggedReadyProcess(ManagedProcess):
    """Ready once its log shows ``ready_text``."""

    ready_text = ""

    def is_ready(self) -> bool:
        return self.ready_text in self.log_text()


class WorkerProcess(LoggedReadyProcess):
    ready_text = " ready."


class BeatProcess(LoggedReadyProcess):
    ready_text = "beat: Starting"


def start_worker(env: Mapping[str, str | None], concurrency: int = 4, loglevel: str = "INFO") -> WorkerProcess:
    """A Celery worker (thread pool, as in production) that is ready to take tasks."""
    argv = [*CELERY, "worker", *WORKER_OPTIONS, "--concurrency", str(concurrency), "--loglevel", loglevel]
    return WorkerProcess(argv, env=env, name="worker", startup_timeout=30).start()


def start_beat(env: Mapping[str, str | None]) -> BeatProcess:
    """Celery beat, reading its schedule from the database the environment names."""
    return BeatProcess([*CELERY, "beat", "--loglevel", "INFO"], env=env, name="beat").start()


class ApiProcess(ManagedProcess):
    """daphne serving config.asgi on a loopback port."""

    def __init__(self, port: int, env: Mapping[str, str | None]):
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        super().__init__(
            [sys.executable, "-m", "daphne", "-b", LOOPBACK, "-p", str(port), "config.asgi:application"],
            env=env,
            ready_check=http_ready(f"{self.url}/healthz"),
            name="api",
            startup_timeout=30,
        )


def start_api(env: Mapping[str, str | None], port: int | None = None) -> ApiProcess:
    return ApiProcess(port or free_port(), env).start()
