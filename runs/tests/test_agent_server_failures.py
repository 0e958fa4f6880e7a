"""When the agent server is down, erring or speaking nonsense, the execution ends in
execution_error with a message a person understands, and nothing is left running.

The stand-in server here plays a broken agent server (or a proxy in front of
one) at the HTTP level; the worker under test is the real one.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asgiref.sync import sync_to_async

from runs.models import AgentExecution
from testsupport import free_port, start_mcp_server
from testsupport.sockets import AgentSocket, assert_complete_sequence

pytestmark = pytest.mark.django_db(transaction=True)


class BrokenAgentServer(BaseHTTPRequestHandler):
    """Misbehaves as the agent's name says."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        behaviour = body["agent"]["name"]
        if behaviour.startswith("status-"):
            status = int(behaviour.removeprefix("status-"))
            self._reply(status, "text/html", b"<html>Bad gateway</html>")
        elif behaviour == "rejects":
            self._reply(400, "application/json", b'{"error": {"message": "steps is too large", "code": "invalid_config"}}')
        elif behaviour == "not-a-stream":
            self._reply(200, "application/json", b'{"status": "completed"}')
        elif behaviour == "malformed":
            self._reply(200, "text/event-stream", b"event: token\ndata: {not json\n\n")
        elif behaviour == "unknown-event":
            self._reply(200, "text/event-stream", b'event: telepathy\ndata: {"x": 1}\n\n')
        elif behaviour == "cut-off":
            self._reply(200, "text/event-stream", b'event: token\ndata: {"content": "partial"}\n\n')

    def _reply(self, status, content_type, payload):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def broken_server():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), BrokenAgentServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


async def run_to_the_end(owner, make_agent, name):
    agent = await sync_to_async(make_agent)(name=name)
    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send({"action": "start_agent", "input_data": {}})
    execution_id = (await socket.receive())["execution"]["id"]
    events = await socket.events_until_terminal(execution_id, timeout=20)
    await socket.close()
    assert_complete_sequence(events, execution_id)
    execution = await sync_to_async(AgentExecution.objects.get)(id=execution_id)
    assert execution.status == "failed"
    assert execution.error_message == events[-1]["message"]
    return events[-1]


CASES = [
    ("status-500", "Agent service unavailable (500).", "mcp_unavailable"),
    ("status-503", "Agent service unavailable (503).", "mcp_unavailable"),
    ("rejects", "Agent service rejected the run: steps is too large", "invalid_config"),
    ("not-a-stream", None, "mcp_protocol_error"),
    ("malformed", None, "mcp_protocol_error"),
    ("unknown-event", None, "mcp_protocol_error"),
    ("cut-off", "Agent service ended the stream without a result.", "mcp_protocol_error"),
]


@pytest.mark.parametrize("behaviour, message, code", CASES)
async def test_a_broken_agent_server_ends_the_execution_with_a_clear_error(
    worker_pool, broken_server, owner, make_agent, behaviour, message, code
):
    await sync_to_async(worker_pool.ensure)(MCP_AGENT_URL=broken_server)
    error = await run_to_the_end(owner, make_agent, behaviour)
    assert error["type"] == "execution_error"
    assert error["code"] == code
    if message:
        assert error["message"] == message
    else:
        assert error["message"].startswith("Agent service sent a malformed stream")


async def test_an_unreachable_agent_server_is_named_in_the_error(worker_pool, owner, make_agent):
    nobody = f"http://127.0.0.1:{free_port()}"
    await sync_to_async(worker_pool.ensure)(MCP_AGENT_URL=nobody)
    error = await run_to_the_end(owner, make_agent, "anything")
    assert (error["message"], error["code"]) == (f"Agent service unreachable at {nobody}.", "mcp_unavailable")


async def test_a_worker_without_the_shared_token_is_refused(worker_pool, owner, make_agent):
    with start_mcp_server(env={"MCP_AGENT_TOKEN": "the-real-token"}) as guarded:
        await sync_to_async(worker_pool.ensure)(MCP_AGENT_URL=guarded.url, MCP_AGENT_TOKEN="a-wrong-token")
        error = await run_to_the_end(owner, make_agent, "anything")
    assert error["code"] == "mcp_unauthorized"
    assert "the-real-token" not in error["message"] and "a-wrong-token" not in error["message"]


async def test_a_worker_with_the_shared_token_runs_the_agent(worker_pool, owner, make_agent):
    with start_mcp_server(env={"MCP_AGENT_TOKEN": "the-real-token"}) as guarded:
        await sync_to_async(worker_pool.ensure)(MCP_AGENT_URL=guarded.url, MCP_AGENT_TOKEN="the-real-token")
        agent = await sync_to_async(make_agent)()
        socket = await AgentSocket.open(agent.id, user=owner)
        await socket.send({"action": "start_agent", "input_data": {}})
        execution_id = (await socket.receive())["execution"]["id"]
        events = await socket.events_until_terminal(execution_id, timeout=20)
        await socket.close()
    assert events[-1]["type"] == "execution_completed"
