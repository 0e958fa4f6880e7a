"""The processes a benchmark run needs, on a fresh SQLite database of its own."""

import os
import resource
import subprocess
import sys
from pathlib import Path

import django

from testsupport import ManagedProcess, start_mcp_server
from testsupport.stack import start_api, start_worker

REPO = Path(__file__).resolve().parent.parent


class BenchStack:
    """Agent server, worker and api (plus, for the naive path, an api on the core layer)."""

    def __init__(self, workdir, worker_concurrency):
        self.workdir = Path(workdir)
        self.worker_concurrency = worker_concurrency
        self.processes = []
        self.env = {
            "VAR_DIR": str(self.workdir),
            "DATABASE_URL": f"sqlite:///{self.workdir / 'bench.sqlite3'}",
            "SECRET_KEY": "benchmark-only",
            "DEBUG": None,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "MCP_AGENT_TOKEN": None,
            "CHANNEL_LAYER": "pubsub",
            # The benchmark starts runs far faster than any person, and
            # hundreds of one user's at once.
            "START_RATE_PER_USER": "",
            "MAX_RUNNING_PER_USER": "0",
            # Its own task queue: another worker on the same Redis (a test
            # run's) must not take the benchmark's tasks.
            "CELERY_QUEUE": f"bench-{os.getpid()}",
        }

    def start(self):
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=REPO,
            env={**os.environ, **{k: v for k, v in self.env.items() if v is not None}},
            check=True,
        )
        mcp = self._keep(
            start_mcp_server(
                env={"MCP_LOG_LEVEL": "WARNING", "MCP_DATA_DIR": str(self.workdir / "agent")}
            )
        )
        self.env["MCP_AGENT_URL"] = mcp.url
        self.env["MCP_AGENT_TOKEN"] = mcp.token
        self.worker = self._keep(start_worker(self.env, concurrency=self.worker_concurrency))
        self.api = self._keep(start_api(self.env))
        self.measured = {"api": self.api, "worker": self.worker, "agent server": mcp}
        # This process reads and verifies the same database.
        for key, value in self.env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        django.setup()
        return self

    def start_naive_api(self):
        """An api on the core channel layer, as the naive path broadcasts there."""
        return self._keep(start_api({**self.env, "CHANNEL_LAYER": "core"}))

    def start_naive_worker(self, execution_ids):
        argv = [sys.executable, "-m", "bench.naive", *map(str, execution_ids)]
        return self._keep(ManagedProcess(argv, env={**self.env, "CHANNEL_LAYER": "core"}, name="naive").start())

    def cpu_seconds(self):
        """CPU seconds (user + system) spent so far by each process: api, worker, agent server, and this client."""
        groups = group_cpu_seconds()
        spent = {name: groups.get(process.pid, 0.0) for name, process in self.measured.items()}
        usage = resource.getrusage(resource.RUSAGE_SELF)
        spent["bench client"] = usage.ru_utime + usage.ru_stime
        return spent

    def _keep(self, process):
        self.processes.append(process)
        return process

    def stop(self):
        for process in reversed(self.processes):
            process.stop()


TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds():
    """The CPU seconds of the live processes of each process group, by group id, read from /proc (Linux).

    Each process the stack starts leads a group of its own, so this counts a
    worker's pool children or a server's helpers too.
    """
    totals = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces: split after its closing parenthesis.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        # fields[0] is field 3 (state): pgrp is field 5, utime and stime fields 14 and 15.
        group = int(fields[2])
        totals[group] = totals.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    return totals
