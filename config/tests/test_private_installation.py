"""What `make run` sets up is private to its account: generated secrets, a Redis
that wants a password, an agent server that wants a token, files nobody else reads.

Each test runs the project's own scripts and programs as `make run` does, in a
temporary VAR_DIR, with a permissive umask (022) so that privacy cannot come
from the caller's umask.
"""

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx
from redis import Redis

from mcp_server.knowledge.store import KnowledgeStore
from testsupport import REPO_ROOT, start_mcp_server

SCRIPTS = REPO_ROOT / "scripts"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def with_umask_022():
    os.umask(0o022)


def ensure_secrets(var_dir: Path, **env: str) -> dict[str, str]:
    """Run scripts/ensure-secrets and return what its output assigns in a clean shell."""
    script = f'eval "$({SCRIPTS}/ensure-secrets)"; env'
    shell_env = {"PATH": os.environ["PATH"], "VAR_DIR": str(var_dir), **env}
    output = subprocess.run(
        ["bash", "-c", script], env=shell_env, capture_output=True, text=True, check=True, preexec_fn=with_umask_022
    ).stdout
    assigned = dict(line.partition("=")[::2] for line in output.splitlines() if "=" in line)
    return {name: assigned[name] for name in ("SECRET_KEY", "MCP_AGENT_TOKEN", "REDIS_PASSWORD")}


def raw_redis_reply(host: str, port: int, command: str) -> bytes:
    """What Redis answers an inline command from a client that never authenticated."""
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(command.encode() + b"\r\n")
        return connection.recv(1024)


def test_secrets_are_generated_once_into_a_private_file(tmp_path):
    var_dir = tmp_path / "var"

    first = ensure_secrets(var_dir)
    again = ensure_secrets(var_dir)

    assert first == again
    assert all(len(value) >= 40 for value in first.values())
    assert len(set(first.values())) == 3
    assert mode(var_dir) == 0o700
    assert mode(var_dir / "secrets.env") == 0o600


def test_a_secret_set_in_the_environment_wins(tmp_path):
    assert ensure_secrets(tmp_path, SECRET_KEY="from-the-operator")["SECRET_KEY"] == "from-the-operator"


def test_a_wider_var_directory_is_narrowed(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir(mode=0o755)
    ensure_secrets(var_dir)
    assert mode(var_dir) == 0o700


def test_the_private_redis_refuses_every_unauthenticated_command(tmp_path):
    # The probe runs inside with-redis, which starts its private Redis when REDIS_URL is unset.
    probe = (
        "import os, subprocess, urllib.parse; url = urllib.parse.urlsplit(os.environ['REDIS_URL']); "
        "print(url.hostname, url.port, url.password); "
        "print('ps-shows-password' if url.password in subprocess.run(['ps', 'axww', '-o', 'args'], "
        "capture_output=True, text=True).stdout else 'ps-clean', flush=True); "
        "import time\nwhile not os.path.exists(os.environ['DONE']): time.sleep(0.05)"
    )
    done = tmp_path / "done"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "REDIS_PASSWORD")}
    child = subprocess.Popen(
        [str(SCRIPTS / "with-redis"), sys.executable, "-c", probe],
        env={**env, "VAR_DIR": str(tmp_path), "DONE": str(done)},
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=with_umask_022,
    )
    try:
        host, port, password = child.stdout.readline().split()
        ps_check = child.stdout.readline().strip()
        assert host == "127.0.0.1"
        assert password == ensure_secrets(tmp_path)["REDIS_PASSWORD"]
        assert ps_check == "ps-clean"
        for command in ("PING", "PSUBSCRIBE *", "LPUSH celery {}", "PUBLISH x y", "KEYS *"):
            assert raw_redis_reply(host, int(port), command).startswith(b"-NOAUTH"), command
        assert Redis(host=host, port=int(port), password=password, socket_timeout=5).ping()
    finally:
        done.touch()  # with-redis runs the probe in the background, so not through its stdin
        child.wait(timeout=20)


def test_the_agent_server_with_the_generated_token_refuses_anonymous_callers(tmp_path):
    token = ensure_secrets(tmp_path)["MCP_AGENT_TOKEN"]
    with start_mcp_server(env={"MCP_AGENT_TOKEN": token, "MCP_DATA_DIR": str(tmp_path / "agent")}) as server:
        calls = [
            ("POST", "/execute", {"execution_id": "e", "agent": {"id": "a", "name": "a", "runtime": "synthetic"}}),
            ("POST", "/knowledge/a1/search", {"query": "secret plans"}),
            ("PUT", "/knowledge/a1/documents/d1", {"filename": "x.txt", "content_type": "text/plain",
                                                   "content_base64": "aGk="}),
            ("DELETE", "/knowledge/a1/documents/d1", None),
            ("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            ("GET", "/nowhere", None),
        ]
        for method, path, body in calls:
            response = httpx.request(method, server.url + path, json=body, timeout=10, trust_env=False)
            assert response.status_code == 401, (method, path, response.status_code)

        granted = httpx.post(
            server.url + "/knowledge/a1/search", json={"query": "x"}, headers=server.headers, timeout=10,
            trust_env=False,
        )
        assert granted.status_code == 200


def test_the_platform_database_is_private(tmp_path):
    var_dir = tmp_path / "var"
    env = {**os.environ, "VAR_DIR": str(var_dir), "DEBUG": "1"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=REPO_ROOT, env=env, check=True, preexec_fn=with_umask_022,
    )

    assert mode(var_dir) == 0o700
    files = [path for path in var_dir.iterdir() if path.name.startswith("db.sqlite3")]
    assert {path.name for path in files} >= {"db.sqlite3"}
    assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}


def test_the_knowledge_index_is_private(tmp_path):
    previous = os.umask(0o022)
    try:
        store = KnowledgeStore(tmp_path / "agent-server" / "knowledge.sqlite3")
        store.replace_document("a1", "d1", "notes.txt", "text/plain", [("hello", b"\0" * 8)])
    finally:
        os.umask(previous)

    assert mode(tmp_path / "agent-server") == 0o700
    for path in (tmp_path / "agent-server").iterdir():
        assert mode(path) == 0o600, path.name

