"""A private redis-server for tests that kill, freeze or restart Redis itself.

Like the one ``scripts/with-redis`` starts, it keeps nothing on disk (a
restart loses every queued message, as a crashed Redis without persistence
would) and requires a password, given in a 0600 config file rather than on
the command line::

    redis = RedisServer().start()
    redis.kill()                       # SIGKILL, as a crash would
    redis = redis.successor().start()  # same port and password: clients reconnect
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from redis import Redis, RedisError

from .processes import LOOPBACK, ManagedProcess, ProcessStartError, free_port


class RedisServer(ManagedProcess):
    """``redis-server`` on a loopback port; ``url`` is what clients connect to (password included)."""

    def __init__(self, port: int | None = None, password: str | None = None, **options: Any) -> None:
        self.port = port or free_port()
        self.password = password or secrets.token_urlsafe(16)
        self.url = f"redis://:{self.password}@{LOOPBACK}:{self.port}/0"
        self.directory = Path(tempfile.mkdtemp(prefix="redis-"))  # 0700
        config = self.directory / "redis.conf"
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(f"requirepass {self.password}\n")
        self._options = options
        super().__init__(
            [
                "redis-server", str(config), "--bind", LOOPBACK, "--port", str(self.port),
                "--save", "", "--appendonly", "no", "--dir", str(self.directory),
            ],
            ready_check=self.answers_ping,
            name="redis",
            **options,
        )

    def answers_ping(self) -> bool:
        try:
            with Redis.from_url(self.url, socket_connect_timeout=0.2, socket_timeout=0.5) as client:
                return bool(client.ping())
        except (RedisError, OSError):
            return False

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5, decode_responses=True)

    def channels(self, pattern: str = "asgi*") -> set[str]:
        """The channel-layer channels someone is subscribed to (``PUBSUB CHANNELS``)."""
        with self.client() as redis:
            return set(redis.pubsub_channels(pattern))

    def patterns(self) -> int:
        """How many pattern subscriptions there are (``PUBSUB NUMPAT``)."""
        with self.client() as redis:
            return redis.pubsub_numpat()

    _replacement: RedisServer | None = None

    def restarted(self) -> RedisServer:
        """Stop this server and start an empty one in its place; stopping this one then stops that one too."""
        self.stop()
        self._replacement = self.successor().start()
        return self._replacement

    def stop(self, timeout: float = 5.0) -> int | None:
        try:
            return super().stop(timeout)
        finally:
            self._remove_directory()
            if self._replacement is not None:
                self._replacement.stop(timeout)

    def kill(self) -> None:
        super().kill()
        self._remove_directory()

    def _remove_directory(self) -> None:
        if self.returncode is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def successor(self) -> RedisServer:
        """A server to start in this one's place: same port and password, empty memory."""
        return RedisServer(self.port, self.password, **self._options)

    def start(self, attempts: int = 5) -> RedisServer:
        """Start it (returning the server that started); the port of a server just
        killed can stay taken for a moment, so a busy port is tried again."""
        try:
            return super().start()
        except ProcessStartError:
            if attempts <= 1 or "Address already in use" not in self.log_text():
                raise
        time.sleep(0.2)
        return self.successor().start(attempts - 1)
