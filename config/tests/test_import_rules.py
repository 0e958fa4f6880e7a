"""Each process imports only what it should (ARCHITECTURE.md, "What each process imports").

Each entry point is imported in a fresh interpreter, as the process would
load it, and its ``sys.modules`` is checked: the api never loads the
worker's code or the agent server (nor its engines, which the platform's
install lacks), the worker never loads the browser-facing consumers nor the
MCP SDK (only the api serves MCP), and the agent server never loads Django,
any of the platform's apps, or the MCP SDK.
"""

import json
import subprocess
import sys

import pytest

from testsupport import REPO_ROOT

DJANGO_SETUP = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "import-rules")
"""

ENTRY_POINTS = {
    # daphne config.asgi:application, with every URL and task module loaded.
    "api": DJANGO_SETUP
    + """
import config.asgi
from django.urls import get_resolver
get_resolver().url_patterns
from config.celery import app
app.loader.import_default_modules()
""",
    # celery -A config worker, with the tasks loaded and an execution's host.
    "worker": DJANGO_SETUP
    + """
import django
django.setup()
from config.celery import app
app.loader.import_default_modules()
import runs.worker.host
""",
    "agent server": """
import mcp_server.__main__
import mcp_server.app
""",
}

# The agent server's engines: the platform's install does not have them.
ENGINES = ("xllamacpp", "onnxruntime", "tokenizers", "bm25s", "pypdf")
# The MCP SDK, the web stack it is built on, and the api's MCP code: the api
# serves /mcp with them; a worker talks to no client (Django loads only the
# mcp_api package itself, as it does every installed app).
MCP_SDK = ("mcp", "mcp_types", "mcp_api.asgi", "mcp_api.server", "mcp_api.services", "starlette", "uvicorn")

FORBIDDEN = {
    "api": ("runs.worker", "mcp_server", *ENGINES),
    "worker": ("mcp_server", "realtime.consumers", "realtime.sse", *MCP_SDK, *ENGINES),
    "agent server": (
        "django", "rest_framework", "channels", "agents", "runs", "threads", "realtime", "knowledge", "mcp_api", "config",
        "mcp",
    ),
}


def loaded_modules(code):
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("process", list(ENTRY_POINTS))
def test_a_process_imports_nothing_it_must_not(process):
    modules = loaded_modules(ENTRY_POINTS[process])
    offending = [
        module
        for module in modules
        for prefix in FORBIDDEN[process]
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert offending == [], f"the {process} imports {', '.join(offending)}"
