"""The server as a program: startup failures and shutdown, via testsupport."""

import signal

import pytest

from testsupport import ProcessStartError, start_mcp_server


def test_it_refuses_to_start_with_a_bad_setting_and_says_why():
    with pytest.raises(ProcessStartError) as failure:
        start_mcp_server(env={"MCP_PORT": "abc"})

    message = str(failure.value)
    assert "exited with status 2" in message
    assert "configuration error: MCP_PORT must be an integer (between 1 and 65535), got 'abc'." in message


def test_it_refuses_to_start_without_a_token_unless_told_to_run_open():
    with pytest.raises(ProcessStartError) as failure:
        start_mcp_server(env={"MCP_AGENT_TOKEN": None, "MCP_ALLOW_NO_TOKEN": None})

    assert "exited with status 2" in str(failure.value)
    assert "configuration error: MCP_AGENT_TOKEN is not set" in str(failure.value)

    with start_mcp_server(env={"MCP_AGENT_TOKEN": None, "MCP_ALLOW_NO_TOKEN": "1"}) as server:
        assert "without a token" in server.log_text()


def test_it_stops_cleanly_on_sigterm():
    server = start_mcp_server()

    # uvicorn re-raises the signal after its graceful shutdown, hence "killed by SIGTERM".
    assert server.stop() == -signal.SIGTERM
    assert not server.is_running()
    assert "Application shutdown complete." in server.log_text()
