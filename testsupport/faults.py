"""The platform's processes for a fault scenario, and the faults done to them.

A ``FaultStack`` runs everything one scenario needs on loopback ports: a
private Redis (``RedisServer``, so it can be killed and started again on
the same port), the agent server, and any number of workers, api processes
and a beat, all on the database the caller names. The faults are what
happens to real hosts: ``kill`` (SIGKILL to the process group, a crash),
``freeze``/``thaw`` (SIGSTOP/SIGCONT, a hang: the process keeps its sockets
open but answers nothing) and ``terminate`` (SIGTERM, a graceful stop).
Restarting puts a new process on the old one's port, so clients that
reconnect find it where they left it::

    with FaultStack(database_url, env={...}) as stack:
        worker = stack.start_worker()
        api = stack.start_api()
        kill(worker)
        stack.restart_redis()

Nothing here imports Django or pytest.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from .processes import ManagedProcess, McpServerProcess, start_mcp_server
from .redis_server import RedisServer
from .stack import ApiProcess, BeatProcess, WorkerProcess, start_api, start_beat, start_worker


def kill(process: ManagedProcess) -> float:
    """SIGKILL the process group, as a crashed host would; returns when (``time.time()``)."""
    at = time.time()
    process.kill()
    return at


def freeze(process: ManagedProcess) -> float:
    """SIGSTOP the process group: it holds its connections but does nothing; returns when."""
    at = time.time()
    os.killpg(process.pid, signal.SIGSTOP)
    return at


def thaw(process: ManagedProcess) -> None:
    if process.is_running():
        os.killpg(process.pid, signal.SIGCONT)


def terminate(process: ManagedProcess, within: float) -> tuple[float, float, int | None]:
    """SIGTERM the process and give it ``within`` seconds to exit before SIGKILL.

    Returns (when it was signalled, seconds it took to exit, exit code); the
    exit code is ``-SIGKILL`` when it had to be killed.
    """
    at = time.time()
    started = time.monotonic()
    code = process.stop(timeout=within)
    return at, time.monotonic() - started, code


class FaultStack:
    """Redis, the agent server, workers, api processes and beat for one scenario.

    ``env`` is laid over every platform process's environment (leases,
    timeouts); ``agent_server_env`` over the agent server's. The stack stops
    (after thawing) everything it started when closed, whatever state a
    scenario left it in.
    """

    def __init__(
        self,
        database_url: str,
        env: Mapping[str, str | None] | None = None,
        agent_server_env: Mapping[str, str | None] | None = None,
        workdir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="faults-"))
        self.extra_env = dict(env or {})
        self.agent_server_env = {
            "MCP_PING_INTERVAL": "1",
            "MCP_DATA_DIR": str(self.workdir / "agent-server"),
            "LLM_PROVIDER": "local",
            "MCP_LOG_LEVEL": "WARNING",
            **(agent_server_env or {}),
        }
        self.database_url = database_url
        self.redis: RedisServer | None = None
        self.agent_server: McpServerProcess | None = None
        self.workers: list[WorkerProcess] = []
        self.apis: list[ApiProcess] = []
        self.beat: BeatProcess | None = None
        self._all: list[ManagedProcess] = []  # everything ever started, to stop at the end

    # -- starting ------------------------------------------------------------

    def start(self) -> FaultStack:
        self.redis = self._keep(RedisServer().start())
        self.agent_server = self._keep(start_mcp_server(env=self.agent_server_env))
        self.agent_server_env["MCP_AGENT_TOKEN"] = self.agent_server.token
        return self

    @property
    def env(self) -> dict[str, str | None]:
        """The environment of the platform's processes, pointing at this stack's Redis and agent server."""
        assert self.redis is not None and self.agent_server is not None, "start() the stack first"
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "MCP_AGENT_URL": self.agent_server.url,
            "MCP_AGENT_TOKEN": self.agent_server.token,
            "DEBUG": None,
            **self.extra_env,
        }

    def start_worker(self, concurrency: int = 4, **env: str | None) -> WorkerProcess:
        worker = self._keep(start_worker({**self.env, **env}, concurrency=concurrency))
        self.workers.append(worker)
        return worker

    def start_api(self, port: int | None = None, **env: str | None) -> ApiProcess:
        api = self._keep(start_api({**self.env, **env}, port=port))
        self.apis.append(api)
        return api

    def start_beat(self) -> BeatProcess:
        self.beat = self._keep(start_beat(self.env))
        return self.beat

    # -- restarting -------------------------------------------------------------

    def restart_redis(self, down_for: float = 0.0) -> RedisServer:
        """Kill Redis (everything in it is lost), wait ``down_for`` seconds, start an empty one on its port."""
        assert self.redis is not None
        kill(self.redis)
        time.sleep(down_for)
        return self.start_redis_again()

    def start_redis_again(self) -> RedisServer:
        """After the stack's Redis was killed: an empty one on the same port and password."""
        assert self.redis is not None
        self.redis = self._keep(self.redis.successor().start())
        return self.redis

    def restart_api(self, api: ApiProcess, graceful: bool = False, down_for: float = 0.0) -> ApiProcess:
        """Stop ``api`` (SIGKILL, or SIGTERM when ``graceful``) and start another on its port."""
        if graceful:
            api.stop()
        else:
            kill(api)
        time.sleep(down_for)
        replacement = self._keep(ApiProcess(api.port, api.env).start())
        self.apis[self.apis.index(api)] = replacement
        return replacement

    def restart_agent_server(self) -> McpServerProcess:
        """Kill the agent server if it still runs, and start another on its port with its token."""
        assert self.agent_server is not None
        kill(self.agent_server)
        self.agent_server = self._keep(start_mcp_server(env=self.agent_server_env, port=self.agent_server.port))
        return self.agent_server

    # -- the end ------------------------------------------------------------------

    def logs(self, tail: int = 4000) -> str:
        """The end of every process's log, for a failure report."""
        parts = []
        for process in self._all:
            text = process.log_text()[-tail:]
            parts.append(f"--- {process.name} (pid {process.pid}, {process.log_path}) ---\n{text}")
        return "\n".join(parts)

    def log_contains(self, text: str) -> list[str]:
        """The names of the processes whose log mentions ``text``."""
        return [f"{process.name}:{process.pid}" for process in self._all if text in process.log_text()]

    def close(self) -> None:
        for process in reversed(self._all):
            thaw(process)
            process.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _keep(self, process):
        self._all.append(process)
        return process
