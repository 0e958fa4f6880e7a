"""Command line entry point.

``python -m mcp_server [--host HOST] [--port PORT]`` runs the server. Flags
override ``MCP_HOST`` and ``MCP_PORT``; every other setting comes from the
environment (see ``mcp_server.settings``). A bad setting ends the process
with exit status 2 and a one-line explanation on stderr.

``python -m mcp_server catalog [--check]`` exports the runtime catalog to
``contract/runtimes.json`` (see ``mcp_server.catalog``); with ``--check`` it
only exits 1 when the committed file is stale.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace

import uvicorn

from mcp_server import catalog
from mcp_server.app import create_app
from mcp_server.settings import Settings, SettingsError, load_settings

logger = logging.getLogger("mcp_server")

# Seconds uvicorn waits for open streams on SIGTERM before cancelling their
# runs; long runs would otherwise hold a shutdown hostage.
GRACEFUL_SHUTDOWN_SECONDS = 5


def main(argv: list[str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    if arguments.command == "catalog":
        return catalog.export(check=arguments.check)
    # Every model comes from an installed package; a library that would reach
    # for the Hugging Face hub must fail at once instead of downloading.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"mcp_server: configuration error: {error}", file=sys.stderr)
        return 2
    settings = replace(
        settings,
        host=settings.host if arguments.host is None else arguments.host,
        port=settings.port if arguments.port is None else arguments.port,
    )
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


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mcp_server",
        description="Run the MCP agent server. Other settings come from MCP_* environment variables.",
    )
    parser.add_argument("--host", help="interface to listen on (default: MCP_HOST, else 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="TCP port (default: MCP_PORT, else 8001)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    exporter = commands.add_parser(
        "catalog", help="write contract/runtimes.json, the runtime catalog the platform reads"
    )
    exporter.add_argument("--check", action="store_true", help="only check that the committed file is current")
    return parser.parse_args(argv)


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
    if settings.agent_token:
        return
    # Only an explicit MCP_ALLOW_NO_TOKEN=1 gets here (load_settings refuses otherwise).
    logger.warning(
        "Running without a token (MCP_ALLOW_NO_TOKEN=1): anyone who can reach %s:%s can run agents "
        "and read, plant or delete every knowledge document.",
        settings.host,
        settings.port,
    )


if __name__ == "__main__":
    sys.exit(main())
