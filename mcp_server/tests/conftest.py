"""Fixtures: a real MCP server process (open and token-guarded), a stand-in LLM, clients.

The servers are started once per test session with ``testsupport``, on a free
loopback port, with a short ping interval so keep-alive pings can be observed
without slowing the suite down. They share one stand-in OpenAI-compatible
server (``OpenAIStub``) and keep their knowledge base in a temporary
directory. The local model loads inside the server process on first use, so
the session pays for it once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mcp_server.knowledge import KnowledgeBase
from mcp_server.services import Services
from mcp_server.settings import Settings
from testsupport import McpServerProcess, OpenAIStub, start_mcp_server

AGENT_TOKEN = "test-token-0123456789"
OPENAI_KEY = "sk-test-secret-4242"
PING_INTERVAL = 0.2
LLM_TIMEOUT = 1.0

# A developer's exported settings must not change what the tests see.
BASE_ENV = {
    # The open server runs without a token, as an explicit opt-in allows.
    "MCP_AGENT_TOKEN": None,
    "MCP_ALLOW_NO_TOKEN": "1",
    "MCP_PING_INTERVAL": str(PING_INTERVAL),
    "MCP_LOG_LEVEL": "INFO",
    "LLM_PROVIDER": None,
    "OPENAI_MODEL": None,
    "LOCAL_LLM_MODEL_PATH": None,
    "LOCAL_LLM_THREADS": "1",
    "LLM_TIMEOUT": str(LLM_TIMEOUT),
    "HF_HUB_OFFLINE": "1",
}


@pytest.fixture(scope="session")
def openai_stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as stub:
        yield stub


@pytest.fixture
def stub(openai_stub: OpenAIStub) -> OpenAIStub:
    """The stand-in LLM, with no scripted replies and no recorded requests."""
    openai_stub.reset()
    return openai_stub


def server_env(openai_stub: OpenAIStub, data_dir: Path, **extra: str | None) -> dict[str, str | None]:
    return {
        **BASE_ENV,
        "OPENAI_BASE_URL": openai_stub.base_url,
        "OPENAI_API_KEY": OPENAI_KEY,
        "MCP_DATA_DIR": str(data_dir),
        **extra,
    }


@pytest.fixture(scope="session")
def mcp_server(openai_stub, tmp_path_factory) -> Iterator[McpServerProcess]:
    with start_mcp_server(env=server_env(openai_stub, tmp_path_factory.mktemp("open-data"))) as server:
        yield server


@pytest.fixture(scope="session")
def guarded_mcp_server(openai_stub, tmp_path_factory) -> Iterator[McpServerProcess]:
    env = server_env(openai_stub, tmp_path_factory.mktemp("guarded-data"), MCP_AGENT_TOKEN=AGENT_TOKEN)
    with start_mcp_server(env=env) as server:
        yield server


@pytest.fixture
def client(mcp_server: McpServerProcess) -> Iterator[httpx.Client]:
    with loopback_client(mcp_server.url) as client:
        yield client


@pytest.fixture
def guarded_client(guarded_mcp_server: McpServerProcess) -> Iterator[httpx.Client]:
    with loopback_client(guarded_mcp_server.url) as client:
        yield client


def loopback_client(base_url: str) -> httpx.Client:
    # trust_env=False: an HTTP(S)_PROXY in the environment must not capture loopback traffic.
    return httpx.Client(base_url=base_url, trust_env=False, timeout=60)


@pytest.fixture(scope="session")
def shared_knowledge(tmp_path_factory) -> KnowledgeBase:
    """An in-process knowledge base for the session (the embedding model loads once)."""
    return KnowledgeBase(tmp_path_factory.mktemp("knowledge"))


@pytest.fixture
def services(openai_stub: OpenAIStub, shared_knowledge: KnowledgeBase, tmp_path) -> Services:
    """In-process services whose ``openai`` provider is the stand-in LLM."""
    settings = Settings(
        data_dir=tmp_path,
        llm_provider="openai",
        openai_base_url=openai_stub.base_url,
        openai_api_key=OPENAI_KEY,
        openai_model="stub-model",
        llm_timeout=LLM_TIMEOUT,
    )
    return Services(settings, knowledge=shared_knowledge)
