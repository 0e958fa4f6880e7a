"""The dashboard's end-to-end tests against a real stack, in Debian's headless Chromium.

    python -m testsupport.e2e                  # start the stack, run every Playwright spec, stop
    python -m testsupport.e2e restart-api PORT PIDFILE   # what the restart spec runs mid-test

The stack is the real one on loopback ports (agent server, Celery worker,
daphne) on a fresh SQLite database with the example agents seeded for the
suite's user, with REDIS_URL from the environment. The
api runs under a small restart loop, so the restart spec can kill it and see
it come back on the same port. web/dist must be built first (``make test``
does it).
"""

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .processes import LOOPBACK, REPO_ROOT, ManagedProcess, free_port, http_ready, start_mcp_server, wait_until
from .stack import CELERY, WORKER_OPTIONS, WorkerProcess

WEB = REPO_ROOT / "web"
USERNAME = "e2e"
# A short lease for the whole stack, so a killed worker is seen lost within seconds (the default is 30 s).
WORKER_LEASE = {"EXECUTION_LEASE_SECONDS": "6", "EXECUTION_HEARTBEAT_SECONDS": "1"}


def main():
    if not (WEB / "dist" / "index.html").exists():
        sys.exit("web/dist is not built: run `make test` (or `npm run build` in web/).")
    password = secrets.token_urlsafe(16)
    processes = []
    with tempfile.TemporaryDirectory(prefix="e2e-") as workdir:
        env = {
            "VAR_DIR": workdir,
            "DATABASE_URL": f"sqlite:///{Path(workdir) / 'e2e.sqlite3'}",
            "SECRET_KEY": "e2e-only",
            "DEBUG": None,
            "MCP_AGENT_TOKEN": None,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "CELERY_QUEUE": f"e2e-{os.getpid()}",
            # Every spec logs in from the same address within a minute or two.
            "AUTH_RATE_PER_ADDRESS": "600/minute",
            **WORKER_LEASE,
        }
        manage = [sys.executable, "manage.py"]
        child_env = {**os.environ, **{k: v for k, v in env.items() if v is not None}}
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=REPO_ROOT, env=child_env, check=True)
        subprocess.run(
            [*manage, "createsuperuser", "--no-input", "--username", USERNAME, "--email", "e2e@example.com"],
            cwd=REPO_ROOT,
            env={**child_env, "DJANGO_SUPERUSER_PASSWORD": password},
            check=True,
        )
        # The example agents a new user starts from, owned by the suite's user.
        subprocess.run([*manage, "seed_demo", "--username", USERNAME, "-v", "0"], cwd=REPO_ROOT, env=child_env,
                       check=True, stdout=subprocess.DEVNULL)
        try:
            agent_data = str(Path(workdir) / "agent-server")
            processes.append(start_mcp_server(env={"MCP_DATA_DIR": agent_data}))
            env["MCP_AGENT_URL"] = processes[-1].url
            env["MCP_AGENT_TOKEN"] = processes[-1].token
            # The worker runs under a restart loop too: the workers spec kills it (SIGKILL, as a
            # crash would), sees it lost within one lease, and a new one takes over.
            worker_pidfile = Path(workdir) / "worker.pid"
            celery = " ".join([*CELERY, "worker", *WORKER_OPTIONS, "--concurrency", "8", "--loglevel", "INFO"])
            worker = WorkerProcess(
                ["bash", "-c", f"while true; do {celery} & echo $! > {worker_pidfile}; wait $!; sleep 0.2; done"],
                env=env, name="worker", startup_timeout=30,
            )
            processes.append(worker.start())
            port = free_port()
            pidfile = Path(workdir) / "api.pid"
            daphne = f"{sys.executable} -m daphne -b {LOOPBACK} -p {port} config.asgi:application"
            api = ManagedProcess(
                ["bash", "-c", f"while true; do {daphne} & echo $! > {pidfile}; wait $!; sleep 0.2; done"],
                env=env,
                ready_check=http_ready(f"http://{LOOPBACK}:{port}/healthz"),
                name="api",
                startup_timeout=30,
            )
            processes.append(api.start())
            result = subprocess.run(
                ["npx", "playwright", "test"],
                cwd=WEB,
                env={
                    **os.environ,
                    "CI": "1",
                    "E2E_BASE_URL": f"http://{LOOPBACK}:{port}",
                    "E2E_USERNAME": USERNAME,
                    "E2E_PASSWORD": password,
                    "E2E_RESTART_API_CMD": (
                        f"cd {REPO_ROOT} && {sys.executable} -m testsupport.e2e restart-api {port} {pidfile}"
                    ),
                    "E2E_KILL_WORKER_CMD": f"kill -KILL $(cat {worker_pidfile})",
                    "E2E_WORKER_LEASE_SECONDS": WORKER_LEASE["EXECUTION_LEASE_SECONDS"],
                },
            )
            if result.returncode:
                for process in processes:
                    print(f"--- {process.name} log ---\n{process.log_text()[-4000:]}", file=sys.stderr)
            return result.returncode
        finally:
            for process in reversed(processes):
                process.stop()


def restart_api(port, pidfile):
    """Stop the api (its loop starts a new one) and wait until it answers on ``port`` again."""
    os.kill(int(Path(pidfile).read_text()), signal.SIGTERM)
    time.sleep(0.5)
    wait_until(http_ready(f"http://{LOOPBACK}:{port}/healthz"), timeout=60, interval=0.2)
    print(f"api on port {port} restarted")


if __name__ == "__main__":
    if sys.argv[1:2] == ["restart-api"]:
        restart_api(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(main())
