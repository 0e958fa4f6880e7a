"""A client that goes away cancels its run promptly."""

import httpx
import pytest

from mcp_server.tests.helpers import SSE, execute_body, health
from testsupport import wait_until

# The contract says "well under a second"; polling resolution is 20 ms.
PROMPTLY = 0.5


def active_runs_back_to_zero(client):
    return lambda: health(client)["active_runs"] == 0


def read_first_line(response):
    """Read one line and keep the stream open.

    The line iterator is returned because httpx closes the connection when an
    unfinished iterator is garbage-collected, which would end the run early.
    """
    lines = response.iter_lines()
    next(lines)
    return lines


def test_it_cancels_the_run_when_the_client_disconnects(mcp_server, client):
    body = execute_body({"steps": 0, "tokens": 1000, "delay_ms": 50}, execution_id="slow-stream")

    with client.stream("POST", "/execute", json=body, headers=SSE) as response:
        _lines = read_first_line(response)  # the run is under way
        assert health(client)["active_runs"] == 1

    wait_until(active_runs_back_to_zero(client), timeout=PROMPTLY, description="active_runs back to 0")
    wait_until(lambda: "execution_id='slow-stream' runtime=synthetic outcome=cancelled" in mcp_server.log_text())


def test_it_cancels_a_run_streaming_flat_out_when_the_client_disconnects(mcp_server, client):
    body = execute_body({"steps": 0, "tokens": 100_000}, execution_id="fast-stream")

    with client.stream("POST", "/execute", json=body, headers=SSE) as response:
        _lines = read_first_line(response)
        assert health(client)["active_runs"] == 1

    wait_until(active_runs_back_to_zero(client), timeout=PROMPTLY, description="active_runs back to 0")
    wait_until(lambda: "execution_id='fast-stream' runtime=synthetic outcome=cancelled" in mcp_server.log_text())


def test_it_cancels_a_json_mode_run_when_the_client_gives_up(mcp_server):
    body = execute_body({"steps": 0, "tokens": 1000, "delay_ms": 50})

    with httpx.Client(base_url=mcp_server.url, trust_env=False, timeout=0.3) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.post("/execute", json=body)

    with httpx.Client(base_url=mcp_server.url, trust_env=False) as client:
        wait_until(active_runs_back_to_zero(client), timeout=PROMPTLY, description="active_runs back to 0")


def test_it_keeps_serving_other_runs_while_one_is_cancelled(client):
    slow = execute_body({"steps": 0, "tokens": 1000, "delay_ms": 50})

    with client.stream("POST", "/execute", json=slow, headers=SSE) as response:
        _lines = read_first_line(response)
        with httpx.Client(base_url=str(client.base_url), trust_env=False) as other:
            quick = other.post("/execute", json=execute_body({"steps": 1, "tokens": 1}))
            assert quick.json()["status"] == "completed"
        assert health(client)["active_runs"] == 1

    wait_until(active_runs_back_to_zero(client), timeout=PROMPTLY)
