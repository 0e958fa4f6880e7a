"""Fixtures of the fault suite: a private stack per scenario, a token client, and the figures.

Every scenario gets its own ``FaultStack`` (Redis, agent server, and the
workers, api processes and beat it starts) on the test database, with the
short leases and timeouts below, so a fault is detected in seconds. What a
scenario measures goes in ``figures``; at the end of the run they are
written, per database, to ``$VAR_DIR/faults/latest.json``, which
``python -m faults.report`` renders as docs/reliability.md.
"""

import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conftest import _database_url
from testsupport import REPO_ROOT
from testsupport.faults import FaultStack

# The knobs every scenario runs with, short so that faults are seen quickly;
# each scenario's bound is derived from them.
# The lease is ten heartbeats: at six, a worker's writer held up for 3 s on
# two cores shared by two workers, two apis and the clients (SQLite, stop
# races) had runs it was still streaming reaped as lost.
LEASE = 5.0  # EXECUTION_LEASE_SECONDS
HEARTBEAT = 0.5  # EXECUTION_HEARTBEAT_SECONDS
REAP_INTERVAL = 0.5  # REAP_INTERVAL_SECONDS
READ_TIMEOUT = 5.0  # MCP_READ_TIMEOUT (the agent server pings every second)
REDISPATCH = 3.0  # PENDING_REDISPATCH_SECONDS
SHUTDOWN_GRACE = 2.0  # WORKER_SHUTDOWN_GRACE
# How late a process may be on two busy cores: added to every bound.
SLACK = 4.0

FAULT_ENV = {
    "EXECUTION_LEASE_SECONDS": str(LEASE),
    "EXECUTION_HEARTBEAT_SECONDS": str(HEARTBEAT),
    "REAP_INTERVAL_SECONDS": str(REAP_INTERVAL),
    "MCP_READ_TIMEOUT": str(READ_TIMEOUT),
    "PENDING_REDISPATCH_SECONDS": str(REDISPATCH),
    "WORKER_SHUTDOWN_GRACE": str(SHUTDOWN_GRACE),
    "START_RATE_PER_USER": "",
    "MAX_RUNNING_PER_USER": "0",  # scenarios run dozens of one user's runs at once
    "LOG_LEVEL": "INFO",
    # The platform's own defaults, not the in-process suite's: connections are
    # kept, and api processes sweep (reap, re-dispatch) like workers.
    "DB_CONN_MAX_AGE": None,
    "API_SWEEPS": None,
}

SETTINGS_RECORDED = {
    "EXECUTION_LEASE_SECONDS": LEASE,
    "EXECUTION_HEARTBEAT_SECONDS": HEARTBEAT,
    "REAP_INTERVAL_SECONDS": REAP_INTERVAL,
    "MCP_READ_TIMEOUT": READ_TIMEOUT,
    "PENDING_REDISPATCH_SECONDS": REDISPATCH,
    "WORKER_SHUTDOWN_GRACE": SHUTDOWN_GRACE,
    "slack_seconds": SLACK,
}


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.timeout(240))


# --- The stack and its user --------------------------------------------------------------


@pytest.fixture
def stack(transactional_db, tmp_path, request):
    """This scenario's processes; started with Redis and the agent server, the rest up to the test."""
    _database.setdefault("vendor", connection.vendor)
    _database.setdefault("description", _database_description())
    faults = FaultStack(_database_url(connection.settings_dict), env=FAULT_ENV, workdir=tmp_path)
    faults.start()
    yield faults
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed:
        print(faults.logs())
    faults.close()


@pytest.fixture
def token(owner):
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=owner).key


# --- Figures ------------------------------------------------------------------------------

_results = {}
_database = {}  # read during a test: once the run ends the test database is gone
_started = time.monotonic()


@pytest.fixture
def figures(request):
    """A dict the scenario fills with what it measured; recorded with its outcome."""
    entry = _results.setdefault(
        request.node.nodeid,
        {
            "module": request.module.__name__.rsplit(".", 1)[-1],
            "module_doc": (request.module.__doc__ or "").strip(),
            "test": request.node.name,
            "doc": (request.function.__doc__ or "").strip(),
            "figures": {},
        },
    )
    entry["figures"] = {}
    return entry["figures"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.call_report = report
    entry = _results.get(item.nodeid)
    if entry is None or report.when == "teardown" and report.passed:
        return
    if report.when == "call" or report.failed:
        entry["outcome"] = "passed" if report.passed else "failed"
        entry["seconds"] = round(report.duration, 1)
        if report.failed:
            entry["failure"] = _failure_summary(report)


def _failure_summary(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text[:1500]


def results_path():
    return Path(settings.VAR_DIR) / "faults" / "latest.json"


def pytest_sessionfinish(session):
    if not _results or not _database:
        return
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        everything = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        everything = {}
    finished_at, commit = datetime.now(UTC).isoformat(timespec="seconds"), _commit()
    run = everything.setdefault(_database["vendor"], {"scenarios": {}})
    run |= {
        "database": _database["description"],
        "finished_at": finished_at,
        "commit": commit,
        "suite_seconds": round(time.monotonic() - _started),
        "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "settings": SETTINGS_RECORDED,
    }
    # Merged: a run of some scenarios (-k) keeps the others' last figures.
    for entry in _results.values():
        if "outcome" in entry:
            run["scenarios"][f"{entry['module']}::{entry['test']}"] = entry | {
                "commit": commit,
                "suite_seconds": round(time.monotonic() - _started),
                "finished_at": finished_at,
            }
    path.write_text(json.dumps(everything, indent=2, sort_keys=False) + "\n")


def _database_description():
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (WAL)"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def _commit():
    """The commit the processes ran, and whether the tree had changes on top of it."""

    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout

    try:
        head = git("rev-parse", "--short", "HEAD").strip()
        changed = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes" if changed else head
