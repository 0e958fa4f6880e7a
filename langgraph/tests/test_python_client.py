"""The unmodified ``langgraph-sdk`` Python client against the real stack: api process, worker, agent server, Redis.

Olivia drives her agents through the client an existing LangGraph app
already uses; Oscar, another user, finds none of her objects.
"""

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.errors import ConflictError, NotFoundError

from agents.tokens import issue_token
from runs.models import AgentEvent, AgentExecution
from testsupport.openai_stub import text, tool_calls
from testsupport.sockets import wait_for_status
from testsupport.stack import start_api

pytestmark = pytest.mark.usefixtures("worker")

MODES = ["values", "messages-tuple", "updates", "custom"]
HELLO = {"messages": [{"role": "user", "content": "Hello there"}]}


@pytest.fixture
def client_for(api):
    def client(user):
        return get_sync_client(url=f"{api.url}/lg", api_key=issue_token(user).key, timeout=60)

    return client


@pytest.fixture
def olivia(client_for, owner):
    return client_for(owner)


def tokens_of(execution_id):
    return list(
        AgentEvent.objects.filter(execution_id=execution_id, event_type="token")
        .order_by("seq").values_list("content__content", flat=True)
    )


def streamed_tokens(parts):
    return [part.data[0]["content"] for part in parts if part.event == "messages"]


def test_a_streamed_run_gives_each_mode_and_the_tokens_in_order(olivia, make_agent):
    agent = make_agent(config={"steps": 2, "tokens": 6, "delay_ms": 5})
    assistants = olivia.assistants.search(graph_id="synthetic")
    assert str(agent.id) in [assistant["assistant_id"] for assistant in assistants]
    thread = olivia.threads.create(metadata={"project": "trip"})
    assert (thread["status"], thread["values"]["messages"]) == ("idle", [])

    parts = list(olivia.runs.stream(thread["thread_id"], str(agent.id), input=HELLO, stream_mode=MODES))

    assert parts[0].event == "metadata"
    run_id = parts[0].data["run_id"]
    assert streamed_tokens(parts) == tokens_of(run_id) and len(tokens_of(run_id)) == 6
    assert {"values", "updates", "custom", "messages"} <= {part.event for part in parts}
    final = [part for part in parts if part.event == "values"][-1].data["messages"]
    assert [message["type"] for message in final] == ["human", "ai"]
    assert final[0]["content"] == "Hello there" and final[1]["content"] == "".join(tokens_of(run_id))
    # Every chunk has the id of the answer it forms, as the clients merge them.
    assert {part.data[0]["id"] for part in parts if part.event == "messages"} == {final[1]["id"]}
    assert olivia.runs.get(thread["thread_id"], run_id)["status"] == "success"
    assert olivia.threads.get(thread["thread_id"])["status"] == "idle"
    found = olivia.threads.search(metadata={"project": "trip"})
    assert [found_thread["thread_id"] for found_thread in found] == [thread["thread_id"]]
    history = olivia.threads.get_history(thread["thread_id"])
    assert history[0]["values"]["messages"] == final


def test_a_stream_cut_by_an_api_restart_is_resumed_by_the_client_with_every_id_once(
    platform_env, owner, make_agent
):
    agent = make_agent(config={"steps": 1, "tokens": 60, "delay_ms": 100})
    api = start_api(platform_env)
    try:
        client = get_sync_client(url=f"{api.url}/lg", api_key=issue_token(owner).key, timeout=60)
        thread = client.threads.create()
        parts, restarted = [], None
        for part in client.runs.stream(
            thread["thread_id"], str(agent.id), input=HELLO, stream_mode=MODES, stream_resumable=True
        ):
            parts.append(part)
            if restarted is None and len(streamed_tokens(parts)) == 5:
                api.stop()  # the connection is cut mid-run; the client reconnects to Location with Last-Event-ID
                restarted = start_api(platform_env, port=api.port)
    finally:
        api.stop()
        if restarted is not None:
            restarted.stop()

    assert restarted is not None
    run_id = parts[0].data["run_id"]
    ids = [part.id for part in parts if part.id is not None]
    assert len(ids) == len(set(ids)), "an id was sent twice"
    assert streamed_tokens(parts) == tokens_of(run_id) and len(streamed_tokens(parts)) == 60
    assert AgentExecution.objects.get(id=run_id).status == "completed"


def test_join_stream_replays_after_last_event_id_and_join_waits_for_the_end(olivia, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 20, "delay_ms": 20})
    thread = olivia.threads.create()
    run = olivia.runs.create(thread["thread_id"], str(agent.id), input=HELLO, stream_mode=MODES)
    assert run["status"] in ("pending", "running")

    first = list(olivia.runs.join_stream(thread["thread_id"], run["run_id"], stream_mode=MODES))
    middle = [part.id for part in first if part.id][len(first) // 2]
    rest = list(olivia.runs.join_stream(thread["thread_id"], run["run_id"], stream_mode=MODES,
                                        last_event_id=middle))

    ids = [part.id for part in first if part.id]
    assert [part.id for part in rest if part.id] == ids[ids.index(middle) + 1:]
    values = olivia.runs.join(thread["thread_id"], run["run_id"])
    assert values["messages"][-1]["content"] == "".join(tokens_of(run["run_id"]))
    assert [listed["run_id"] for listed in olivia.runs.list(thread["thread_id"])] == [run["run_id"]]


def test_wait_answers_the_final_values(olivia, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 3, "delay_ms": 0})
    thread = olivia.threads.create()

    values = olivia.runs.wait(thread["thread_id"], str(agent.id), input=HELLO)

    assert [message["type"] for message in values["messages"]] == ["human", "ai"]


def test_an_interrupt_pauses_the_run_and_command_resume_answers_it(olivia, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 2, "delay_ms": 0, "ask": {"question": "Which colour?"}})
    thread = olivia.threads.create()

    parts = list(olivia.runs.stream(thread["thread_id"], str(agent.id), input=HELLO, stream_mode=["values"]))

    paused = parts[-1].data
    assert paused["__interrupt__"][0]["value"]["question"] == "Which colour?"
    assert olivia.threads.get(thread["thread_id"])["status"] == "interrupted"
    values = olivia.runs.wait(thread["thread_id"], str(agent.id), command={"resume": "blue"})
    assert "__interrupt__" not in values
    assert [message["content"] for message in values["messages"][:3]] == ["Hello there", "Which colour?", "blue"]
    execution = AgentExecution.objects.get(id=parts[0].data["run_id"])
    assert (execution.status, execution.output_data["answer"]) == ("completed", "blue")
    assert olivia.threads.get(thread["thread_id"])["status"] == "idle"
    with pytest.raises(httpx.HTTPStatusError, match="409"):  # nothing waits for an answer now
        olivia.runs.wait(thread["thread_id"], str(agent.id), command={"resume": "red"})


def test_a_tool_call_is_reviewed_in_agent_chat_uis_shape_and_an_edit_decision_runs_it_changed(
    olivia, make_agent, llm_stub
):
    """The interrupt a UI such as agent-chat-ui renders as a tool review, and the decisions it sends back."""
    llm_stub.reset()
    llm_stub.script(tool_calls(("calculator", {"expression": "6 * 7"})), text("It is ", "48."))
    agent = make_agent(name="Careful", runtime="tools",
                       config={"provider": "openai", "tools": ["calculator"], "confirm_tools": ["calculator"]})
    thread = olivia.threads.create()

    parts = list(olivia.runs.stream(thread["thread_id"], str(agent.id), input=HELLO, stream_mode=["values"]))

    (interrupt,) = parts[-1].data["__interrupt__"]
    review = interrupt["value"]
    assert review["action_requests"][0] | {"description": ""} == {
        "name": "calculator", "args": {"expression": "6 * 7"}, "description": ""}
    assert review["review_configs"] == [
        {"action_name": "calculator", "allowed_decisions": ["approve", "edit", "reject"]}]
    assert olivia.threads.get(thread["thread_id"])["interrupts"]
    edit = {"type": "edit", "edited_action": {"name": "calculator", "args": {"expression": "6 * 8"}}}

    resumed = list(olivia.runs.stream(thread["thread_id"], str(agent.id), command={"resume": {"decisions": [edit]}},
                                      stream_mode=["values", "tools"]))

    tool_events = [part.data for part in resumed if part.event == "tools"]
    assert [event["event"] for event in tool_events] == ["on_tool_start", "on_tool_end"]
    assert (tool_events[0]["input"], tool_events[1]["output"]["result"]) == ({"expression": "6 * 8"}, 48)
    final = [part.data for part in resumed if part.event == "values"][-1]
    assert "__interrupt__" not in final and final["messages"][-1]["content"] == "It is 48."
    assert olivia.threads.get(thread["thread_id"])["status"] == "idle"


def test_reject_refuses_a_run_while_the_thread_is_busy(olivia, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 50, "delay_ms": 50})
    thread = olivia.threads.create()
    run = olivia.runs.create(thread["thread_id"], str(agent.id), input=HELLO)

    with pytest.raises(ConflictError):
        olivia.runs.create(thread["thread_id"], str(agent.id), input=HELLO, multitask_strategy="reject")
    olivia.runs.cancel(thread["thread_id"], run["run_id"], wait=True)


def test_cancel_interrupt_keeps_the_run_and_rollback_deletes_it(olivia, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 200, "delay_ms": 50})
    thread = olivia.threads.create()
    kept = olivia.runs.create(thread["thread_id"], str(agent.id), input=HELLO)
    wait_for_status(kept["run_id"], "running", timeout=30)

    olivia.runs.cancel(thread["thread_id"], kept["run_id"], wait=True, action="interrupt")

    assert olivia.runs.get(thread["thread_id"], kept["run_id"])["status"] == "interrupted"
    gone = olivia.runs.create(thread["thread_id"], str(agent.id), input=HELLO)
    wait_for_status(gone["run_id"], "running", timeout=30)
    olivia.runs.cancel(thread["thread_id"], gone["run_id"], action="rollback")
    with pytest.raises(NotFoundError):
        olivia.runs.get(thread["thread_id"], gone["run_id"])
    assert len(olivia.threads.get(thread["thread_id"])["values"]["messages"]) == 1  # the kept run's message


def test_the_store_is_the_users_long_term_memory(olivia, client_for, outsider, owner, api):
    olivia.store.put_item(["prefs", "travel"], "seat", {"text": "Olivia prefers a window seat"})
    olivia.store.put_item(["prefs", "food"], "diet", {"text": "Olivia is vegetarian", "kind": "diet"})

    assert olivia.store.get_item(["prefs", "travel"], "seat")["value"] == {"text": "Olivia prefers a window seat"}
    found = olivia.store.search_items(["prefs"], query="which seat on the plane")
    assert found["items"][0]["key"] == "seat"
    assert [item["key"] for item in olivia.store.search_items(["prefs"], filter={"kind": "diet"})["items"]] == ["diet"]
    assert olivia.store.list_namespaces(prefix=["prefs"])["namespaces"] == [["prefs", "food"], ["prefs", "travel"]]
    olivia.store.delete_item(["prefs", "food"], "diet")
    with pytest.raises(NotFoundError):
        olivia.store.get_item(["prefs", "food"], "diet")
    with pytest.raises(NotFoundError):
        client_for(outsider).store.get_item(["prefs", "travel"], "seat")
    # The client refuses a dotted label itself; the API does too.
    refused = httpx.put(f"{api.url}/lg/store/items", headers={"x-api-key": issue_token(owner).key}, trust_env=False,
                        json={"namespace": ["prefs.travel"], "key": "seat", "value": {}})
    assert (refused.status_code, refused.json()["errors"]) == (422, {"namespace.0": ["A label cannot hold a dot."]})


def test_someone_elses_assistant_thread_and_run_are_not_found(olivia, client_for, outsider, make_agent):
    agent = make_agent(config={"steps": 1, "tokens": 2, "delay_ms": 0})
    thread = olivia.threads.create()
    run = olivia.runs.create(thread["thread_id"], str(agent.id), input=HELLO)
    oscar = client_for(outsider)

    assert oscar.assistants.search() == []
    for call in (
        lambda: oscar.assistants.get(str(agent.id)),
        lambda: oscar.threads.get(thread["thread_id"]),
        lambda: oscar.runs.get(thread["thread_id"], run["run_id"]),
        lambda: list(oscar.runs.join_stream(thread["thread_id"], run["run_id"])),
    ):
        with pytest.raises(NotFoundError):
            call()
    for call in (  # wait and join raise httpx's own error
        lambda: oscar.runs.wait(thread["thread_id"], str(agent.id), input=HELLO),
        lambda: oscar.runs.join(thread["thread_id"], run["run_id"]),
    ):
        with pytest.raises(httpx.HTTPStatusError, match="404"):
            call()
    with pytest.raises(ConflictError):  # a taken id, whoever has it
        oscar.threads.create(thread_id=thread["thread_id"])
    own = oscar.threads.create()
    with pytest.raises(httpx.HTTPStatusError, match="404"):  # Olivia's agent on Oscar's own thread
        oscar.runs.wait(own["thread_id"], str(agent.id), input=HELLO)
