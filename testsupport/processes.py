"""Starting real server processes for integration tests, and stopping them reliably.

``ManagedProcess`` is the generic part: it starts a command in its own process
group with output going to a log file, waits until a readiness check passes,
and stops the whole group (SIGTERM, then SIGKILL) afterwards. Launchers for
particular programs are thin subclasses or functions on top of it, like
``start_mcp_server`` below; Celery or daphne launchers fit the same mould::

    with start_mcp_server() as server:
        httpx.post(f"{server.url}/execute", json=..., headers=server.headers)

Everything binds to and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

import httpx

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def listening_ports(pid: int) -> set[tuple[str, int]]:
    """The TCP (address, port) pairs process ``pid`` listens on, read from /proc (Linux)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            found.add(("::" if width == 32 else _ipv4(address), int(port, 16)))
    return found


def _ipv4(little_endian_hex: str) -> str:
    return socket.inet_ntoa(bytes.fromhex(little_endian_hex)[::-1])


class ProcessStartError(RuntimeError):
    """A managed process exited or did not become ready in time; the message includes its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 5.0,
    interval: float = 0.02,
    description: str | None = None,
) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that.

    Raises ``TimeoutError`` (naming ``description`` or the predicate) after
    ``timeout`` seconds. Exceptions from the predicate propagate: a check that
    can fail while the system settles should catch its own errors.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = description or getattr(predicate, "__name__", repr(predicate))
            raise TimeoutError(f"{what} did not become true within {timeout} s")
        time.sleep(interval)


def http_ready(url: str, timeout: float = 0.5) -> Callable[[], bool]:
    """A readiness check: ``url`` answers a GET with 200."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=timeout, trust_env=False).status_code == 200
        except httpx.TransportError:
            return False

    check.__name__ = f"GET {url} answers 200"
    return check


class ManagedProcess:
    """A child process for a test: started in its own process group, logged to a file.

    ``env`` entries are laid over the current environment; a ``None`` value
    removes a variable (so a developer's exported secret cannot leak into a
    test). ``ready_check`` is polled after start until it returns true.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str | None] | None = None,
        ready_check: Callable[[], bool] | None = None,
        *,
        name: str | None = None,
        cwd: str | os.PathLike[str] = REPO_ROOT,
        startup_timeout: float = 15.0,
        log_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.name = name or Path(self.argv[0]).name
        self.env = dict(env or {})
        self.ready_check = ready_check
        self.cwd = cwd
        self.startup_timeout = startup_timeout
        self.log_path = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=log_dir)) / "output.log"
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Self:
        """Start the process and wait until it is ready; raise ``ProcessStartError`` if it is not."""
        if self._process is not None:
            raise RuntimeError(f"{self.name} was already started")
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self._child_environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own process group, so stop() also reaches grandchildren (worker pools, reloaders).
                start_new_session=True,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM the process group, then SIGKILL whatever is left of it after ``timeout``.

        Returns the exit code (negative: the signal that ended the process).
        """
        if self._process is None:
            return None
        if self._process.returncode is None:
            self._signal_group(signal.SIGTERM)
            self._wait_for_exit(timeout)
            self._kill_group_and_reap()
        return self._process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash would."""
        if self._process is not None and self._process.returncode is None:
            self._kill_group_and_reap()

    def __enter__(self) -> Self:
        if self._process is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def is_ready(self) -> bool:
        """Polled during ``start()``. Subclasses may override it to look at themselves,
        e.g. ``return " ready." in self.log_text()``."""
        return self.ready_check is None or bool(self.ready_check())

    # -- inspection --------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def returncode(self) -> int | None:
        """The exit code, once ``stop()`` or ``kill()`` has collected it."""
        return None if self._process is None else self._process.returncode

    def is_running(self) -> bool:
        return self._process is not None and self._process.returncode is None and not self._has_exited()

    def log_text(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- internals ---------------------------------------------------------

    def _child_environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        environment["PYTHONUNBUFFERED"] = "1"  # so the log is complete when we read it
        for key, value in self.env.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        return environment

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._has_exited():
                self._kill_group_and_reap()
                raise ProcessStartError(
                    f"{self.name} exited with status {self._process.returncode} during startup.\n"
                    f"--- {self.log_path} ---\n{self.log_text()}"
                )
            if self.is_ready():
                return
            if time.monotonic() >= deadline:
                raise ProcessStartError(
                    f"{self.name} was not ready within {self.startup_timeout} s.\n"
                    f"--- {self.log_path} ---\n{self.log_text()}"
                )
            time.sleep(0.05)

    # The process is reaped only by _kill_group_and_reap, after its group got
    # SIGKILL: until then its pid, which is also the group id, stays reserved,
    # so group signals can only ever reach processes this object started.

    def _has_exited(self) -> bool:
        assert self._process is not None
        waited = os.waitid(os.P_PID, self._process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return waited is not None

    def _wait_for_exit(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._has_exited() and time.monotonic() < deadline:
            time.sleep(0.02)

    def _kill_group_and_reap(self) -> None:
        assert self._process is not None
        # Also reaches children that ignored SIGTERM or outlived their parent.
        self._signal_group(signal.SIGKILL)
        self._process.wait()

    def _signal_group(self, signum: signal.Signals) -> None:
        assert self._process is not None
        try:
            os.killpg(self._process.pid, signum)
        except ProcessLookupError:
            pass  # already gone


class McpServerProcess(ManagedProcess):
    """``python -m mcp_server`` on a loopback port; ``url`` is its base URL.

    Like the real default it requires a bearer token: one is made up unless
    ``env`` names ``MCP_AGENT_TOKEN`` (``None`` with ``MCP_ALLOW_NO_TOKEN=1``
    runs it open). ``token`` is what a caller sends, ``headers`` the header.
    """

    def __init__(self, port: int, env: Mapping[str, str | None] | None = None, **options: Any) -> None:
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        env = dict(env or {})
        if "MCP_AGENT_TOKEN" not in env:
            env["MCP_AGENT_TOKEN"] = secrets.token_urlsafe(24)
        self.token = env["MCP_AGENT_TOKEN"]
        self.headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        super().__init__(
            [sys.executable, "-m", "mcp_server", "--host", LOOPBACK, "--port", str(port)],
            env=env,
            ready_check=http_ready(f"{self.url}/health"),
            name="mcp_server",
            **options,
        )

    def search_knowledge(self, agent_id: object, query: str, k: int = 5) -> list[dict[str, Any]]:
        """What ``POST /knowledge/{agent_id}/search`` finds for ``query``, best first."""
        response = httpx.post(
            f"{self.url}/knowledge/{agent_id}/search", json={"query": query, "k": k}, headers=self.headers,
            timeout=30, trust_env=False,
        )
        response.raise_for_status()
        return response.json()["results"]



def start_mcp_server(env: Mapping[str, str | None] | None = None, port: int | None = None) -> McpServerProcess:
    """Start the MCP agent server and return it once ``GET /health`` answers.

    ``env`` is laid over the current environment (``None`` unsets). With no
    ``port`` a free one is picked. Use the result as a context manager, or
    call ``stop()``, to shut it down.
    """
    # A port found free can be taken before the server binds it; pick another then.
    attempts_left = 3 if port is None else 1
    while True:
        server = McpServerProcess(port or free_port(), env=env)
        try:
            return server.start()
        except ProcessStartError:
            attempts_left -= 1
            if not attempts_left or "address already in use" not in server.log_text():
                raise
