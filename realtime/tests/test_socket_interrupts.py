"""Answering a run's question on a socket: any of the owner's sockets, once, and the run goes on.

The tools runtime with a confirmed tool, through the real worker and agent
server; the model is the stand-in LLM (the network edge), which calls the
calculator and then answers.
"""

import pytest
from asgiref.sync import sync_to_async

from runs.models import Interrupt
from testsupport.openai_stub import text, tool_calls
from testsupport.sockets import AgentSocket

pytestmark = [pytest.mark.usefixtures("worker")]

CONFIRMED = {"provider": "openai", "tools": ["calculator"], "confirm_tools": ["calculator"]}


@pytest.fixture
def confirming_agent(make_agent, llm_stub):
    llm_stub.reset()
    llm_stub.script(tool_calls(("calculator", {"expression": "6 * 7"})), text("It is ", "42."))
    return make_agent(name="Careful", runtime="tools", config=CONFIRMED)


async def receive_until(socket, predicate, timeout=30):
    while not predicate(message := await socket.receive(timeout=timeout)):
        pass
    return message


async def test_a_confirmation_is_answered_from_a_second_socket_after_the_first_dropped(owner, confirming_agent):
    first = await AgentSocket.open(None, user=owner)
    await first.send({"action": "start_agent", "agent_id": str(confirming_agent.id), "input_data": {"message": "6*7?"}})
    created = await receive_until(first, lambda message: message["type"] == "execution_created")
    execution_id = created["execution"]["id"]
    asked = await receive_until(first, lambda message: message["type"] == "execution_interrupted")
    assert asked["interrupt"]["kind"] == "confirm_tool"
    assert asked["interrupt"]["payload"] == {"tool": "calculator", "arguments": {"expression": "6 * 7"}}
    await first.communicator.disconnect()

    second = await AgentSocket.open(None, user=owner)
    await second.send({"action": "subscribe", "execution_id": execution_id, "after_seq": 0})
    replayed = await receive_until(second, lambda message: message["type"] == "execution_interrupted")
    assert replayed == asked
    interrupt_id = asked["interrupt"]["id"]
    await second.send({"action": "answer_interrupt", "interrupt_id": interrupt_id, "answer": {"action": "approve"}})
    answered = await receive_until(second, lambda message: message["type"] == "interrupt_answered")
    assert (answered["interrupt"]["status"], answered["interrupt"]["answer"]) == ("answered", {"action": "approve"})

    rest = await second.events_until_terminal(execution_id)
    types = [message["type"] if message["type"] != "agent_event" else message["event_type"] for message in rest]
    assert types[0] == "execution_resumed" and types[-1] == "execution_completed"
    assert ["tool_call", "tool_result"] == [kind for kind in types if kind.startswith("tool_")]
    assert rest[-1]["output"]["text"] == "It is 42."
    assert rest[-1]["output"]["tool_calls"][0]["result"] == {"expression": "6 * 7", "result": 42}

    # A second answer, from any socket, is refused and changes nothing.
    await second.send({"action": "answer_interrupt", "interrupt_id": interrupt_id, "answer": {"action": "reject"}})
    refused = await receive_until(second, lambda message: message["type"] == "error")
    assert refused["code"] == "already_answered"
    stored = await sync_to_async(Interrupt.objects.get)(id=interrupt_id)
    assert stored.answer == {"action": "approve"}
    await second.close()


async def test_a_bad_answer_or_someone_elses_interrupt_is_an_error_frame_and_the_socket_stays_open(
    owner, outsider, confirming_agent
):
    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "start_agent", "agent_id": str(confirming_agent.id), "input_data": {"message": "?"}})
    asked = await receive_until(socket, lambda message: message["type"] == "execution_interrupted")
    interrupt_id = asked["interrupt"]["id"]

    await socket.send({"action": "answer_interrupt", "interrupt_id": interrupt_id, "answer": {"action": "maybe"}})
    invalid = await receive_until(socket, lambda message: message["type"] == "error")
    assert invalid["code"] == "invalid_answer" and "answer" in invalid["fields"]
    await socket.send({"action": "answer_interrupt", "answer": "x"})
    missing = await receive_until(socket, lambda message: message["type"] == "error")
    assert "interrupt_id" in missing["fields"]

    stranger = await AgentSocket.open(None, user=outsider)
    await stranger.send({"action": "answer_interrupt", "interrupt_id": interrupt_id, "answer": {"action": "approve"}})
    assert (await receive_until(stranger, lambda message: message["type"] == "error"))["code"] == "not_found"
    await stranger.close()

    await socket.send({"action": "stop_agent", "execution_id": asked["execution_id"]})
    stopped = await receive_until(socket, lambda message: message["type"] in ("execution_stopped", "error"))
    assert stopped["type"] == "execution_stopped", stopped
    await socket.close()
