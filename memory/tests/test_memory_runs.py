"""Memory through the whole platform: a real worker, the real agent server, a stand-in LLM.

Olivia tells her assistant something in one thread, and it is recalled in
another thread of hers; Oscar, with an agent of his own, never gets it.
"""

import pytest

from memory.models import MemoryItem
from runs.models import AgentEvent
from testsupport.openai_stub import text, tool_calls
from testsupport.sockets import wait_for_status
from threads.models import Thread
from threads.services import post_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("worker")]

ASSISTANT = {"provider": "openai", "tools": ["remember", "recall"]}


def run(thread, content):
    _, execution = post_message(thread, content)
    finished = wait_for_status(execution.id, ["completed", "failed", "stopped"], timeout=60)
    assert finished.status == "completed", finished.error_message
    return finished


def tool_results(execution):
    return [event.content["result"] for event in AgentEvent.objects.filter(execution=execution, event_type="tool_result")]


def test_memory_written_in_one_thread_is_recalled_in_another_of_the_same_user_only(
    llm_stub, make_agent, owner, outsider
):
    llm_stub.reset()
    hers = make_agent(name="Assistant", runtime="tools", config=ASSISTANT)
    first, second = (Thread.objects.create(owner=owner, agent=hers) for _ in range(2))

    llm_stub.script(tool_calls(("remember", {"key": "allergy", "value": "peanuts"})), text("Noted."))
    wrote = run(first, "Please remember that I am allergic to peanuts.")

    item = MemoryItem.objects.get(owner=owner)
    assert (item.key, item.value, item.written_by_execution_id) == ("allergy", "peanuts", wrote.id)
    assert AgentEvent.objects.filter(execution=wrote, event_type="memory").count() == 1

    llm_stub.script(tool_calls(("recall", {"query": "what food must I avoid?"})), text("Peanuts."))
    recalled = run(second, "What food must I avoid?")

    assert tool_results(recalled)[0]["items"][0] == {"namespace": "default", "key": "allergy", "value": "peanuts"}
    # And the run was told with its instructions.
    assert "- allergy: peanuts" in llm_stub.requests[-2]["body"]["messages"][0]["content"]

    his = make_agent(user=outsider, name="His", runtime="tools", config=ASSISTANT)
    llm_stub.script(tool_calls(("recall", {"query": "what food must I avoid?"})), text("No idea."))
    elsewhere = run(Thread.objects.create(owner=outsider, agent=his), "What food must I avoid?")

    assert tool_results(elsewhere) == [{"items": [], "note": "Nothing remembered matches."}]
    assert "peanuts" not in str(llm_stub.requests[-2]["body"])
