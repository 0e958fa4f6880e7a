"""Settings from the environment: sensible defaults, loud failures."""

import pytest

from mcp_server.settings import Settings, SettingsError, load_settings

TOKEN = {"MCP_AGENT_TOKEN": "t0ken"}


def test_it_defaults_to_loopback_port_8001():
    assert load_settings(TOKEN) == Settings(
        host="127.0.0.1", port=8001, ping_interval=10.0, agent_token="t0ken", log_level="INFO"
    )
    assert Settings().allowed_hosts == ("127.0.0.1", "localhost", "::1")


@pytest.mark.parametrize("environ", [{}, {"MCP_AGENT_TOKEN": "  "}, {"MCP_ALLOW_NO_TOKEN": "0"}])
def test_it_requires_a_token(environ):
    with pytest.raises(SettingsError, match="MCP_AGENT_TOKEN is not set"):
        load_settings(environ)


def test_it_runs_without_a_token_only_when_told_to():
    assert load_settings({"MCP_ALLOW_NO_TOKEN": "1"}).agent_token is None
    with pytest.raises(SettingsError, match="MCP_ALLOW_NO_TOKEN must be 1 or 0"):
        load_settings({"MCP_ALLOW_NO_TOKEN": "maybe"})


def test_it_reads_the_allowed_hosts():
    settings = load_settings({**TOKEN, "MCP_ALLOWED_HOSTS": " agent-server , Localhost,"})

    assert settings.allowed_hosts == ("agent-server", "localhost")


def test_it_reads_every_setting_from_the_environment():
    settings = load_settings(
        {
            "MCP_HOST": "0.0.0.0",
            "MCP_PORT": " 9000 ",
            "MCP_PING_INTERVAL": "2.5",
            "MCP_AGENT_TOKEN": "s3cret",
            "MCP_LOG_LEVEL": "debug",
        }
    )

    assert settings == Settings(host="0.0.0.0", port=9000, ping_interval=2.5, agent_token="s3cret", log_level="DEBUG")


def test_it_keeps_the_token_out_of_its_repr():
    assert "s3cret" not in repr(load_settings({"MCP_AGENT_TOKEN": "s3cret"}))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MCP_PORT": "abc"}, "MCP_PORT must be an integer (between 1 and 65535), got 'abc'."),
        ({"MCP_PORT": "8001.5"}, "MCP_PORT must be an integer (between 1 and 65535), got '8001.5'."),
        ({"MCP_PORT": "0"}, "MCP_PORT must be between 1 and 65535, got 0."),
        ({"MCP_PORT": "70000"}, "MCP_PORT must be between 1 and 65535, got 70000."),
        ({"MCP_PING_INTERVAL": "soon"}, "MCP_PING_INTERVAL must be a number (at least 0.01), got 'soon'."),
        ({"MCP_PING_INTERVAL": "nan"}, "MCP_PING_INTERVAL must be a number (at least 0.01), got 'nan'."),
        ({"MCP_PING_INTERVAL": "0"}, "MCP_PING_INTERVAL must be at least 0.01, got 0.0."),
        ({"MCP_HOST": " "}, "MCP_HOST must not be empty (unset it to use the default '127.0.0.1')."),
        (
            {"MCP_LOG_LEVEL": "chatty"},
            "MCP_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'chatty'.",
        ),
    ],
)
def test_it_fails_loudly_on_a_bad_value(environ, message):
    with pytest.raises(SettingsError) as failure:
        load_settings({**TOKEN, **environ})

    assert str(failure.value) == message


def test_it_reads_the_llm_and_knowledge_settings():
    settings = load_settings(
        {
            **TOKEN,
            "LLM_PROVIDER": "OpenAI",
            "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1/",
            "OPENAI_API_KEY": "sk-secret",
            "OPENAI_MODEL": "llama3.2",
            "LLM_TIMEOUT": "12.5",
            "MCP_DATA_DIR": "/srv/agents",
            "LOCAL_LLM_THREADS": "3",
        }
    )

    assert (settings.llm_provider, settings.openai_base_url, settings.openai_model) == (
        "openai", "http://127.0.0.1:11434/v1", "llama3.2")
    assert (settings.llm_timeout, str(settings.data_dir), settings.local_threads) == (12.5, "/srv/agents", 3)
    assert "sk-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LLM_PROVIDER": "anthropic"}, "LLM_PROVIDER must be one of local, openai, got 'anthropic'."),
        ({"OPENAI_BASE_URL": "api.openai.com"}, "OPENAI_BASE_URL must be an http:// or https:// URL."),
        ({"LLM_TIMEOUT": "0"}, "LLM_TIMEOUT must be at least 0.1, got 0.0."),
        ({"LOCAL_LLM_SLOTS": "0"}, "LOCAL_LLM_SLOTS must be between 1 and 64, got 0."),
    ],
)
def test_it_fails_loudly_on_a_bad_llm_setting(environ, message):
    with pytest.raises(SettingsError) as failure:
        load_settings({**TOKEN, **environ})

    assert str(failure.value) == message
