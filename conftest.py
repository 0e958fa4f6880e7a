"""Shared fixtures: personas, and the platform's real processes for integration tests.

Personas: ``owner`` (Olivia) owns the agents under test, ``staff`` (Sam) is a
staff member who may see everything, ``outsider`` (Oscar) is another user who
must see nothing of Olivia's.

Integration tests get a real Redis (from REDIS_URL; ``make test`` starts a
private one), a real agent server process and a real Celery worker process,
both pointed at the test database.
"""

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import TransactionTestCase
from redis import Redis
from rest_framework.test import APIClient

from testsupport import start_mcp_server
from testsupport.openai_stub import OpenAIStub
from testsupport.stack import start_api, start_beat, start_worker

PASSWORD = "correct-horse-battery-staple"


# --- Personas --------------------------------------------------------------------------


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("olivia", password=PASSWORD)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("sam", password=PASSWORD, is_staff=True)


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user("oscar", password=PASSWORD)


@pytest.fixture
def api_as():
    """An API client authenticated as the given user (or anonymous for None)."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def admin_client_for(client, django_user_model):
    admin = django_user_model.objects.create_superuser("ada", password="x")
    client.force_login(admin)
    return client


@pytest.fixture
def make_agent(owner):
    from agents.models import Agent

    def make(user=None, **fields):
        fields.setdefault("name", "Synthetic")
        fields.setdefault("runtime", "synthetic")
        fields.setdefault("config", {"steps": 2, "tokens": 5, "delay_ms": 0})
        return Agent.objects.create(owner=user or owner, **fields)

    return make


@pytest.fixture
def agent(make_agent):
    return make_agent()


@pytest.fixture
def make_thread(owner, agent):
    from threads.models import Thread

    def make(user=None, **fields):
        fields.setdefault("agent", agent)
        return Thread.objects.create(owner=user or owner, **fields)

    return make


@pytest.fixture
def thread(make_thread):
    return make_thread(title="Trip planning")


@pytest.fixture(scope="session", autouse=True)
def _flush_outlasts_a_deadlock():
    """Empty the database again when emptying it deadlocked with a worker.

    A test's live worker may still be busy when the test ends (a hook of a
    run that just ended, its sweep). On PostgreSQL the flush's TRUNCATE
    takes its tables one by one, and a worker transaction that read one and
    waits for another deadlocks with it; PostgreSQL then may pick the flush
    to fail. The worker's side is retried by the worker; the flush is here.
    """
    original = TransactionTestCase._fixture_teardown

    def teardown(self):
        for attempt in range(3):
            try:
                return original(self)
            except CommandError as error:
                if attempt == 2 or "deadlock detected" not in str(error.__cause__):
                    raise
                time.sleep(0.5)

    TransactionTestCase._fixture_teardown = teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(scope="session", autouse=True)
def _close_async_test_connections(django_db_setup):
    """Async tests reach the database through sync_to_async's one shared thread,
    whose connection would otherwise stay open and keep PostgreSQL from
    dropping the test database at the end."""
    yield
    asyncio.run(sync_to_async(connections.close_all)())


# --- Real processes -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url():
    try:
        with Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2) as redis:
            redis.ping()
    except Exception as exc:
        pytest.fail(f"Redis at {settings.REDIS_URL} is not reachable ({exc}); `make test` starts one.")
    return settings.REDIS_URL


@pytest.fixture(scope="session")
def llm_stub():
    """A stand-in OpenAI-compatible LLM on loopback: agents whose config says ``provider: openai`` use it."""
    with OpenAIStub() as stub:
        yield stub


@pytest.fixture(scope="session")
def agent_server(tmp_path_factory, llm_stub):
    data = tmp_path_factory.mktemp("agent-server")
    env = {
        "MCP_PING_INTERVAL": "1", "MCP_DATA_DIR": str(data), "LLM_PROVIDER": "local",
        "OPENAI_BASE_URL": llm_stub.base_url, "OPENAI_API_KEY": "sk-test-stub", "OPENAI_MODEL": "stub-model",
    }
    with start_mcp_server(env=env) as server:
        yield server


def _database_url(settings_dict):
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def platform_env(django_db_setup, redis_url, agent_server):
    """The environment of every platform process a test starts: the test database, Redis, the agent server."""
    return {
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "MCP_AGENT_URL": agent_server.url,
        "MCP_AGENT_TOKEN": agent_server.token,
        "DEBUG": None,
        "API_SWEEPS": "1",
    }


class WorkerPool:
    """Keeps one worker running for the session, restarting it when a test killed
    it or asked for a different configuration."""

    def __init__(self, env):
        self.env = env
        self.process = None
        self.overrides = None

    def ensure(self, **overrides):
        if self.process is not None and (not self.process.is_running() or overrides != self.overrides):
            self.process.stop()
            self.process = None
        if self.process is None:
            self.process = start_worker({**self.env, **overrides})
            self.overrides = overrides
        return self.process

    def stop(self):
        if self.process is not None:
            self.process.stop()

    def discard(self):
        """Stop the worker; the next test that needs one gets a new one."""
        self.stop()
        self.process = None


@pytest.fixture(scope="session")
def worker_pool(platform_env):
    pool = WorkerPool(platform_env)
    yield pool
    pool.stop()


@pytest.fixture
def worker(worker_pool, transactional_db):
    """A running Celery worker connected to the test database (tests using it commit for real)."""
    process = worker_pool.ensure()
    yield process
    if process.is_running():
        left = _settle_runs()
        if left:
            # A run that does not end when stopped holds one of the worker's threads: say
            # where every thread of the worker is, then give the next test a fresh worker
            # rather than let one stuck run turn into timeouts in unrelated tests.
            os.kill(process.pid, signal.SIGUSR1)  # Celery's handler prints every thread's stack
            time.sleep(1)
            log = process.log_text()[-30000:]
            worker_pool.discard()
            pytest.fail(f"runs still unfinished 30 s after being stopped: {left}\n--- worker log ---\n{log}")


def _settle_runs(timeout=30):
    """Stop what a test left running and wait until its worker has let go of it.

    The test database is emptied next; on PostgreSQL that TRUNCATE and a run's
    writes still under way can deadlock, and the emptying is then the one that
    fails. A stopped run may start the next one of its thread or room, hence
    the loop.
    """
    from runs.models import AgentExecution
    from runs.services import stop_execution

    deadline = time.monotonic() + timeout
    while True:
        unfinished = list(AgentExecution.objects.exclude(status__in=AgentExecution.TERMINAL_STATUSES))
        if not unfinished or time.monotonic() > deadline:
            return [(str(execution.id), execution.status) for execution in unfinished]
        for execution in unfinished:
            stop_execution(execution)
        time.sleep(0.1)


@pytest.fixture
def api(platform_env):
    """The api process (daphne serving config.asgi) on a loopback port, on the test database."""
    process = start_api(platform_env)
    yield process
    process.stop()


@pytest.fixture
def beat(platform_env, transactional_db):
    process = start_beat(platform_env)
    yield process
    process.stop()
