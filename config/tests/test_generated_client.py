"""A client generated from docs/openapi.yaml by openapi-python-client works against the real api.

Generators are strict readers of a schema: one request type per operation,
documented error responses, an anonymous token endpoint. This generates the
client as a user would, imports it, and runs an agent with it.
"""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PASSWORD
from testsupport import REPO_ROOT, wait_until

pytestmark = pytest.mark.usefixtures("worker")

PACKAGE = "agent_platform_api_client"


@pytest.fixture
def generated(tmp_path, monkeypatch):
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(REPO_ROOT / "docs" / "openapi.yaml"), "--meta", "none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        # Its post-generation formatting runs ruff, installed beside it.
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_a_generated_client_gets_a_token_creates_an_agent_and_runs_it(generated, api, owner):
    api_module = importlib.import_module(f"{PACKAGE}.api")
    models = importlib.import_module(f"{PACKAGE}.models")
    auth_token_create = importlib.import_module(f"{api_module.__name__}.auth.auth_token_create")
    agents_create = importlib.import_module(f"{api_module.__name__}.agents.agents_create")
    start = importlib.import_module(f"{api_module.__name__}.agents.agents_executions_create")
    retrieve = importlib.import_module(f"{api_module.__name__}.executions.executions_retrieve")

    anonymous = generated.Client(base_url=api.url)
    token = auth_token_create.sync(client=anonymous, body=models.AuthTokenRequest(username="olivia", password=PASSWORD))
    client = generated.AuthenticatedClient(base_url=api.url, token=token.token, prefix="Token")

    agent = agents_create.sync(
        client=client,
        body=models.AgentRequest(name="Generated", runtime="synthetic", config={"steps": 1, "tokens": 3}),
    )
    execution = start.sync(id=agent.id, client=client, body=models.ExecutionCreateRequest(input_data={"n": 1}))
    assert isinstance(execution, models.Execution)

    def finished():
        current = retrieve.sync(id=execution.id, client=client)
        return current if current.status.value == "completed" else None

    done = wait_until(finished, timeout=30, interval=0.2, description="the execution completes")
    assert done.output_data["text"] == "tok1 tok2 tok3 "

    refused = auth_token_create.sync_detailed(client=anonymous, body=models.AuthTokenRequest(username="olivia", password="no"))
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.FieldErrors)
