"""A third-party MCP client on the real api: the MCP Inspector's CLI, web/'s devDependency.

The SDK client the other tests use is the one /mcp is built with, so it
could share a misreading of the protocol; the Inspector is another
implementation, in another language, that people point at servers.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from agents.models import Agent
from mcp_api.tools import tool_base_name
from runs.models import AgentExecution

pytestmark = pytest.mark.django_db(transaction=True)

WEB = Path(settings.BASE_DIR) / "web"
INSPECTOR = WEB / "node_modules" / ".bin" / "mcp-inspector"


@pytest.fixture
def inspector(api, token_of, tmp_path):
    """``inspector(user, *args)``: the parsed JSON result of one ``mcp-inspector --cli`` run as ``user``."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not INSPECTOR.exists():
        pytest.fail(f"{INSPECTOR} is missing: `make install` (npm install in web/) installs it")
    # Its catalog and client config default to ~/.mcp-inspector; a home of its own keeps the runs apart.
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    env |= {"HOME": str(tmp_path), "NO_PROXY": "127.0.0.1,localhost"}

    def run(user, *args):
        argv = [
            str(INSPECTOR), "--cli", f"{api.url}/mcp", "--transport", "http",
            "--header", f"Authorization: Bearer {token_of(user)}",
            # Never an interactive OAuth login: a 401 is a failure here.
            "--stored-auth-only", "--format", "json", *args,
        ]  # fmt: skip
        done = subprocess.run(argv, check=False, cwd=WEB, env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"mcp-inspector exited {done.returncode}: {done.stderr or done.stdout}"
        return json.loads(done.stdout)["result"]

    return run


def test_the_inspector_lists_exactly_the_callers_active_agents(inspector, owner, outsider, make_agent):
    mine = [make_agent(name="Daily report"), make_agent(name="Weekly digest")]
    make_agent(name="Switched off", status=Agent.Status.INACTIVE)
    make_agent(user=outsider, name="Oscar's")

    tools = inspector(owner, "--method", "tools/list")["tools"]

    assert sorted(tool["name"] for tool in tools) == sorted(tool_base_name(agent) for agent in mine)
    assert all(tool["inputSchema"]["type"] == "object" for tool in tools)


@pytest.mark.usefixtures("worker")
def test_an_inspector_tool_call_returns_the_output_and_is_an_execution(inspector, owner, make_agent):
    agent = make_agent(config={"steps": 2, "tokens": 3, "delay_ms": 10})

    result = inspector(
        owner, "--method", "tools/call", "--tool-name", tool_base_name(agent), "--tool-arg", "question=why?"
    )

    assert result["isError"] is False
    assert result["content"] == [{"type": "text", "text": "tok1 tok2 tok3 "}]
    execution = AgentExecution.objects.get(id=result["structuredContent"]["execution_id"])
    assert (execution.agent, execution.status, execution.input_data) == (agent, "completed", {"question": "why?"})
    assert execution.output_data["text"] == "tok1 tok2 tok3 "
