import os
import signal

import pytest

from .private_stack import private_redis


@pytest.fixture
def redis(worker_pool):
    """A private Redis for this test; woken up first if the test froze it (SIGSTOP).

    The session's worker is stopped first (the next test that needs it starts
    it again): it sweeps the same database, and a run it sent again from
    there would run on the shared Redis, out of sight of this test's api.
    """
    worker_pool.stop()
    with private_redis() as server:
        yield server
        if server.is_running():
            os.kill(server.pid, signal.SIGCONT)
