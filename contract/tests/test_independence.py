"""The contract imports neither side: the api can read it without the agent server, and vice versa."""

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("mcp_server", "django", "starlette")


def test_importing_and_using_the_contract_loads_no_django_starlette_or_agent_server():
    # A fresh interpreter, because this one has imported both sides already.
    code = (
        "import json, sys\n"
        "import contract.runtimes, contract.events, contract.errors, contract.config\n"
        "contract.runtimes.check_config('synthetic', {})\n"
        "contract.runtimes.check_input('chat', {'message': 'Hi'})\n"
        "contract.events.check_agent_event(*contract.events.token('t'))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )

    modules = json.loads(finished.stdout)
    assert [name for name in modules if name.startswith(FORBIDDEN)] == []


def test_the_events_module_needs_only_the_standard_library():
    code = "import sys, contract.events; print('jsonschema' in sys.modules)"
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )

    assert finished.stdout.strip() == "False"
