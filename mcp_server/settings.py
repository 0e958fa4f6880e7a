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
| MCP_AGENT_TOKEN     | (unset)     | Shared bearer token; unset or empty = no auth. |
| MCP_LOG_LEVEL       | INFO        | DEBUG, INFO, WARNING, ERROR or CRITICAL.       |
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting has a value the server cannot run with."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8001
    ping_interval: float = 10.0
    # repr=False keeps the secret out of logs and tracebacks that print settings.
    agent_token: str | None = field(default=None, repr=False)
    log_level: str = "INFO"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    return Settings(
        host=env_str(env, "MCP_HOST", defaults.host),
        port=env_int(env, "MCP_PORT", defaults.port, minimum=1, maximum=65535),
        ping_interval=env_float(env, "MCP_PING_INTERVAL", defaults.ping_interval, minimum=0.01),
        agent_token=env_optional_str(env, "MCP_AGENT_TOKEN"),
        log_level=env_choice(env, "MCP_LOG_LEVEL", defaults.log_level, LOG_LEVELS),
    )


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


def env_choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (case-insensitive, returned upper-case); unset means ``default``."""
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().upper()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}.")
    return value


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
