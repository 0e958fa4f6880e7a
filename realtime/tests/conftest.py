import os
import signal

import pytest

from .private_stack import private_redis


@pytest.fixture
def redis():
    """A private Redis for this test; woken up first if the test froze it (SIGSTOP)."""
    with private_redis() as server:
        yield server
        if server.is_running():
            os.kill(server.pid, signal.SIGCONT)
