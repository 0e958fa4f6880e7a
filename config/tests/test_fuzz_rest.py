"""Every operation of the OpenAPI schema, fuzzed against the real api process: never a 5xx.

schemathesis generates requests from docs/openapi.yaml - valid ones and, as
its negative mode, ones that break the schema - and sends them to a daphne
process on the test database, as a logged-in user. Half the requests name
that user's real agent, execution and document, so the fuzz reaches the code
behind the 404. Bounded (``EXAMPLES`` per operation) and deterministic
(Hypothesis' derandomized seed), so a failure reproduces.
"""

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from agents.models import Agent
from knowledge.models import AgentDocument
from runs.models import AgentExecution
from testsupport import REPO_ROOT
from testsupport.stack import start_api

EXAMPLES = 25

# The event stream of a pending execution stays open until the run ends:
# realtime/tests/test_sse.py covers it (and test_socket_fuzz.py its socket twin).
schema = schemathesis.openapi.from_path(REPO_ROOT / "docs" / "openapi.yaml").exclude(path_regex=r"/stream/$")
alternate = itertools.cycle([True, False])


@pytest.fixture(scope="module")
def fuzzed_api(platform_env):
    process = start_api(platform_env)
    yield process
    process.stop()


@pytest.fixture
def target(fuzzed_api, transactional_db, owner):
    agent = Agent.objects.create(owner=owner, name="Fuzzed", runtime="synthetic", config={"steps": 1})
    ids = {
        "agent_id": agent.id,
        "execution": AgentExecution.objects.create(agent=agent).id,
        "document": AgentDocument.objects.create(
            agent=agent, filename="a.txt", content_type="text/plain", size=1, content=b"a"
        ).id,
    }
    return fuzzed_api, owner, ids


def real_ids(case, ids):
    """Point a case's path at the user's real objects (every other case)."""
    if not next(alternate):
        return
    parameters = case.path_parameters or {}
    if "agent_id" in parameters:
        parameters["agent_id"] = str(ids["agent_id"])
        if "id" in parameters:
            parameters["id"] = str(ids["document"])
    elif "id" in parameters:
        parameters["id"] = str(ids["agent_id"] if case.path.startswith("/api/agents/") else ids["execution"])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_operation_answers_a_server_error(case, target):
    api, user, ids = target
    # A fuzzed logout or token revocation must not lock the next cases out.
    token, _ = Token.objects.get_or_create(user=user)
    real_ids(case, ids)

    response = case.call(base_url=api.url, headers={"Authorization": f"Token {token.key}"}, timeout=30)

    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"
