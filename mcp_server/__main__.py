"""Command line entry point: ``python -m mcp_server [--host HOST] [--port PORT]``.

Flags override ``MCP_HOST`` and ``MCP_PORT``; every other setting comes from
the environment (see ``mcp_server.settings``). A bad setting ends the process
with exit status 2 and a one-line explanation on stderr.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from dataclasses import replace

import uvicorn

from mcp_server.app import create_app
from mcp_server.settings import Settings, SettingsError, load_settings

logger = logging.getLogger("mcp_server")

# Seconds uvicorn waits for open streams on SIGTERM before cancelling their
# runs; long runs would otherwise hold a shutdown hostage.
GRACEFUL_SHUTDOWN_SECONDS = 5


def main(argv: list[str] | None = None) -> int:
    # Every model comes from an installed package; a library that would reach
    # for the Hugging Face hub must fail at once instead of downloading.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"mcp_server: configuration error: {error}", file=sys.stderr)
        return 2
    settings = _apply_arguments(settings, argv)
    _configure_logging(settings.log_level)
    _warn_if_exposed(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep the root logging set up above
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
    )
    return 0


def _apply_arguments(settings: Settings, argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m mcp_server",
        description="Run the MCP agent server. Other settings come from MCP_* environment variables.",
    )
    parser.add_argument("--host", default=settings.host, help="interface to listen on (MCP_HOST)")
    parser.add_argument("--port", default=settings.port, type=_port, help="TCP port (MCP_PORT)")
    arguments = parser.parse_args(argv)
    return replace(settings, host=arguments.host, port=arguments.port)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer between 1 and 65535, got {text!r}")
    return port


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _warn_if_exposed(settings: Settings) -> None:
    if settings.agent_token or _is_loopback(settings.host):
        return
    logger.warning(
        "Listening on %s without MCP_AGENT_TOKEN: anyone who can reach this port can run agents.",
        settings.host,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":
    sys.exit(main())
