"""Long-term memory on the agent server: ``POST /embed``, the memory a run is given, ``remember`` and ``recall``.

The server stores nothing of it: a run is given items (``input_data.memory``)
and emits a ``memory`` event for what it remembers; the platform does the rest.
"""

import base64

import numpy as np
import pytest

from mcp_server.tests.helpers import event_types, run_in_process, without_model_calls
from testsupport.openai_stub import text, tool_calls

MEMORY_TOOLS = {"tools": ["remember", "recall"]}
KNOWN = [
    {"namespace": "default", "key": "favourite_colour", "value": "teal"},
    {"namespace": "default", "key": "home_city", "value": "Lisbon"},
    {"namespace": "default", "key": "dog", "value": "a beagle called Rufus"},
]


async def run_tools(*args, **kwargs):
    """A tools run's events but its model_call steps (tests/test_tools_runtime.py checks those)."""
    return without_model_calls(await run_in_process("tools", *args, **kwargs))


def test_embed_answers_one_unit_vector_per_text_in_order(client):
    response = client.post("/embed", json={"texts": ["my favourite colour is teal", "the dog is a beagle", "teal"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dimensions"], len(body["vectors"])) == (384, 3)
    vectors = np.stack([np.frombuffer(base64.b64decode(vector), dtype="<f4") for vector in body["vectors"]])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # Order kept: "teal" is nearer the colour than the dog.
    assert vectors[2] @ vectors[0] > vectors[2] @ vectors[1]


@pytest.mark.parametrize("body", [{}, {"texts": []}, {"texts": "one"}, {"texts": [1]}, {"texts": ["x" * 8001]}])
def test_embed_refuses_what_is_not_a_short_list_of_texts(client, body):
    response = client.post("/embed", json=body)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["texts"]


async def test_a_run_given_memory_tells_the_model_with_its_instructions(stub, services):
    await run_in_process("chat", {}, {"message": "Plan my weekend", "memory": KNOWN[:2]}, services)

    system = stub.requests[0]["body"]["messages"][0]
    assert system["role"] == "system"
    assert "- favourite_colour: teal" in system["content"] and "- home_city: Lisbon" in system["content"]


async def test_remember_emits_a_memory_event_with_its_call(stub, services):
    stub.script(tool_calls(("remember", {"key": "favourite_colour", "value": "teal"})), text("Noted."))

    run = await run_tools(MEMORY_TOOLS, {"message": "My favourite colour is teal."}, services)

    assert event_types(run)[1:4] == ["tool_call", "memory", "tool_result"]
    assert run[2][1] == {"namespace": "default", "key": "favourite_colour", "value": "teal"}
    assert run[3][1]["result"] == {"remembered": "favourite_colour", "value": "teal", "namespace": "default"}


async def test_recall_finds_by_meaning_among_what_the_run_was_given_and_what_it_remembered(stub, services):
    stub.script(
        tool_calls(("remember", {"key": "allergy", "value": "peanuts"})),
        tool_calls(("recall", {"query": "what pet does the user have?"})),
        tool_calls(("recall", {"query": "food the user must avoid"})),
        text("Done."),
    )

    run = await run_tools(MEMORY_TOOLS, {"message": "Hi", "memory": KNOWN}, services)

    results = [data["result"] for kind, data in run if kind == "tool_result"]
    assert results[1]["items"][0]["key"] == "dog"
    assert results[2]["items"][0] == {"namespace": "default", "key": "allergy", "value": "peanuts"}


async def test_recall_with_nothing_remembered_says_so(stub, services):
    stub.script(tool_calls(("recall", {"query": "anything"})), text("I don't know yet."))

    run = await run_tools(MEMORY_TOOLS, {"message": "What do you know about me?"}, services)

    assert [data["result"] for kind, data in run if kind == "tool_result"] == [
        {"items": [], "note": "Nothing remembered matches."}
    ]
