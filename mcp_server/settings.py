"""Settings of the MCP agent server, read once from the environment.

Every setting is parsed by a helper that raises ``SettingsError`` with a
message naming the variable, the value and what was expected, so a typo such
as ``MCP_PORT=80o1`` stops the server at startup instead of surfacing later as
a confusing bind or timeout error.

| Variable            | Default     | Meaning                                        |
|---------------------|-------------|------------------------------------------------|
| MCP_HOST            | 127.0.0.1   | Interface to listen on (loopback unless set).  |
| MCP_PORT            | 8001        | TCP port, 1..65535.                            |
| MCP_PING_INTERVAL   | 10          | Seconds of silence before an SSE ``: ping``.   |
| MCP_AGENT_TOKEN     | (required)  | Shared bearer token every caller but /health sends. |
| MCP_ALLOW_NO_TOKEN  | 0           | 1 runs without a token (an explicit opt-in, logged). |
| MCP_ALLOWED_HOSTS   | 127.0.0.1,localhost,::1 | ``Host`` names accepted (comma-separated; ``*`` any). |
| MCP_LOG_LEVEL       | INFO        | DEBUG, INFO, WARNING, ERROR or CRITICAL.       |
| MCP_DATA_DIR        | var/agent-server | Knowledge base directory (relative to cwd). |
| LLM_PROVIDER        | local       | Provider of agents whose config names none.    |
| LLM_TIMEOUT         | 30          | Seconds an LLM provider may stay silent.       |
| LLM_CONNECT_TIMEOUT | 5           | Seconds to connect to an LLM provider.         |
| OPENAI_BASE_URL     | https://api.openai.com/v1 | OpenAI-compatible endpoint.      |
| OPENAI_API_KEY      | (unset)     | Its API key; never logged or echoed.           |
| OPENAI_MODEL        | gpt-4o-mini | Model of agents whose config names none.       |
| LOCAL_LLM_MODEL_PATH| (bundled)   | A GGUF file instead of the bundled SmolLM2.    |
| LOCAL_LLM_THREADS   | cores / 2   | CPU threads of the local model.                |
| LOCAL_LLM_CONTEXT   | 2048        | Context window of each local slot, in tokens.  |
| LOCAL_LLM_SLOTS     | 2           | Local generations that run at the same time.   |
| MCP_DOCUMENT_MAX_BYTES | 20971520 | Largest document a PUT may carry (20 MiB).    |
| MCP_DOCUMENT_MAX_PAGES | 1000     | Pages of a PDF that may be indexed.           |
| MCP_DOCUMENT_MAX_CHARS | 1000000  | Characters of text a document may hold.       |
| MCP_PARSE_TIMEOUT   | 30          | Seconds (wall clock and CPU) to read one PDF.  |
| MCP_PARSE_MEMORY_MB | 1024        | Address space of the child that reads a PDF.   |
| MCP_INDEX_TIMEOUT   | 120         | Seconds one PUT may take in all; keep it under the worker's MCP_KNOWLEDGE_TIMEOUT. |
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LLM_PROVIDERS = ("local", "openai")


def _default_local_threads() -> int:
    # Half the cores: measured on a busy 2-core machine, llama.cpp with 2
    # threads fell to ~4 tokens/s (its threads spin-wait on each other while
    # the worker and the embedder compete for the cores) but kept ~30 with 1.
    return max(1, (os.cpu_count() or 2) // 2)


class SettingsError(ValueError):
    """A setting has a value the server cannot run with."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8001
    ping_interval: float = 10.0
    # repr=False keeps the secret out of logs and tracebacks that print settings.
    agent_token: str | None = field(default=None, repr=False)
    # Host names a request may name; anything else is refused, so a web page
    # cannot reach this server through DNS rebinding.
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    log_level: str = "INFO"
    data_dir: Path = Path("var/agent-server")
    llm_provider: str = "local"
    llm_timeout: float = 30.0
    llm_connect_timeout: float = 5.0
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: str | None = field(default=None, repr=False)
    openai_model: str = "gpt-4o-mini"
    local_model_path: Path | None = None
    local_threads: int = field(default_factory=_default_local_threads)
    local_context: int = 2048
    local_slots: int = 2
    # What one document may cost (mcp_server.knowledge.extraction says why a PDF is read in a child).
    document_max_bytes: int = 20 * 1024 * 1024
    document_max_pages: int = 1000
    # About 40 s of embedding on two cores: the text bounds the time of the whole PUT.
    document_max_chars: int = 1_000_000
    parse_timeout: float = 30.0
    parse_memory_mb: int = 1024
    index_timeout: float = 120.0


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    agent_token = env_optional_str(env, "MCP_AGENT_TOKEN")
    if agent_token is None and not env_flag(env, "MCP_ALLOW_NO_TOKEN"):
        raise SettingsError(
            "MCP_AGENT_TOKEN is not set: set it to the token the platform's workers send "
            "(`make run` keeps one in var/secrets.env), or set MCP_ALLOW_NO_TOKEN=1 to let "
            "anyone who can reach this server run agents and read every knowledge base."
        )
    return Settings(
        host=env_str(env, "MCP_HOST", defaults.host),
        port=env_int(env, "MCP_PORT", defaults.port, minimum=1, maximum=65535),
        ping_interval=env_float(env, "MCP_PING_INTERVAL", defaults.ping_interval, minimum=0.01),
        agent_token=agent_token,
        allowed_hosts=env_names(env, "MCP_ALLOWED_HOSTS", defaults.allowed_hosts),
        log_level=env_choice(env, "MCP_LOG_LEVEL", defaults.log_level, LOG_LEVELS),
        data_dir=Path(env_str(env, "MCP_DATA_DIR", str(defaults.data_dir))),
        llm_provider=env_choice(env, "LLM_PROVIDER", defaults.llm_provider, LLM_PROVIDERS, normalize=str.lower),
        llm_timeout=env_float(env, "LLM_TIMEOUT", defaults.llm_timeout, minimum=0.1),
        llm_connect_timeout=env_float(env, "LLM_CONNECT_TIMEOUT", defaults.llm_connect_timeout, minimum=0.1),
        openai_base_url=env_url(env, "OPENAI_BASE_URL", defaults.openai_base_url),
        openai_api_key=env_optional_str(env, "OPENAI_API_KEY"),
        openai_model=env_str(env, "OPENAI_MODEL", defaults.openai_model),
        local_model_path=_optional_path(env_optional_str(env, "LOCAL_LLM_MODEL_PATH")),
        local_threads=env_int(env, "LOCAL_LLM_THREADS", defaults.local_threads, minimum=1, maximum=256),
        local_context=env_int(env, "LOCAL_LLM_CONTEXT", defaults.local_context, minimum=256, maximum=131072),
        local_slots=env_int(env, "LOCAL_LLM_SLOTS", defaults.local_slots, minimum=1, maximum=64),
        document_max_bytes=env_int(env, "MCP_DOCUMENT_MAX_BYTES", defaults.document_max_bytes, minimum=1),
        document_max_pages=env_int(env, "MCP_DOCUMENT_MAX_PAGES", defaults.document_max_pages, minimum=1),
        document_max_chars=env_int(env, "MCP_DOCUMENT_MAX_CHARS", defaults.document_max_chars, minimum=1),
        parse_timeout=env_float(env, "MCP_PARSE_TIMEOUT", defaults.parse_timeout, minimum=0.1),
        parse_memory_mb=env_int(env, "MCP_PARSE_MEMORY_MB", defaults.parse_memory_mb, minimum=64),
        index_timeout=_index_timeout(env, defaults),
    )


def _index_timeout(env: Mapping[str, str], defaults: Settings) -> float:
    parse_timeout = env_float(env, "MCP_PARSE_TIMEOUT", defaults.parse_timeout, minimum=0.1)
    index_timeout = env_float(env, "MCP_INDEX_TIMEOUT", defaults.index_timeout, minimum=0.1)
    if index_timeout <= parse_timeout:
        raise SettingsError(
            f"MCP_INDEX_TIMEOUT ({index_timeout:g}) must be longer than MCP_PARSE_TIMEOUT ({parse_timeout:g}): "
            "indexing a document includes reading it."
        )
    return index_timeout


def _optional_path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def env_str(env: Mapping[str, str], name: str, default: str) -> str:
    """A non-blank string; unset means ``default``."""
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip()
    if not value:
        raise SettingsError(f"{name} must not be empty (unset it to use the default {default!r}).")
    return value


def env_optional_str(env: Mapping[str, str], name: str) -> str | None:
    """A string that may be absent; blank counts as absent.

    Treating ``NAME=`` as unset matches how env files and compose files are
    usually written to switch a feature off.
    """
    value = (env.get(name) or "").strip()
    return value or None


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """``1``/``true``/``yes``/``on`` (any case) is true; unset, blank or ``0``/``false``/``no``/``off`` false."""
    value = (env.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0, got {env.get(name)!r}.")


def env_names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of names, lower-cased; unset means ``default``."""
    raw = env.get(name)
    if raw is None:
        return default
    names = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if not names:
        raise SettingsError(f"{name} must name at least one host (or '*' for any).")
    return names


def env_int(
    env: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """An integer within ``[minimum, maximum]``; unset means ``default``."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(
            f"{name} must be an integer{_in_parentheses(_range_text(minimum, maximum))}, got {raw!r}."
        ) from None
    _check_range(name, value, minimum, maximum)
    return value


def env_float(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """A finite number within ``[minimum, maximum]``; unset means ``default``."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SettingsError(
            f"{name} must be a number{_in_parentheses(_range_text(minimum, maximum))}, got {raw!r}."
        )
    _check_range(name, value, minimum, maximum)
    return value


def env_choice(
    env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...], *, normalize=str.upper
) -> str:
    """One of ``choices`` (case-insensitive, returned as ``normalize`` spells it); unset means ``default``."""
    raw = env.get(name)
    if raw is None:
        return default
    value = normalize(raw.strip())
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}.")
    return value


def env_url(env: Mapping[str, str], name: str, default: str) -> str:
    """An http(s) URL without a trailing slash; unset means ``default``."""
    value = env_str(env, name, default)
    if not value.startswith(("http://", "https://")):
        # The value may hold credentials, so it is not repeated in the message.
        raise SettingsError(f"{name} must be an http:// or https:// URL.")
    return value.rstrip("/")


def _check_range(name: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise SettingsError(f"{name} must be {_range_text(minimum, maximum)}, got {value!r}.")


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {minimum} and {maximum}"
    if minimum is not None:
        return f"at least {minimum}"
    if maximum is not None:
        return f"at most {maximum}"
    return ""


def _in_parentheses(text: str) -> str:
    return f" ({text})" if text else ""
