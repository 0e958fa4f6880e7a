"""A thread's stream: ``subscribe`` to ``thread:<id>`` on the user socket, and ``GET /api/threads/{id}/stream/``.

Olivia (``owner``) converses with a synthetic agent on a real worker; every
event of every run comes in order, each once, and a cursor resumes across
runs. Oscar (``outsider``) reaches none of it.
"""

import threading

import httpx
import pytest
from asgiref.sync import sync_to_async
from httpx_sse import connect_sse
from rest_framework.authtoken.models import Token

from runs.models import AgentEvent, AgentExecution
from testsupport import wait_until
from testsupport.sockets import TERMINAL_TYPES, AgentSocket, assert_complete_sequence, wait_for_status
from threads import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("worker")]

ENDED = ["completed", "failed", "stopped"]


def post(thread, content, strategy="enqueue"):
    return services.post_message(thread, content, multitask_strategy=strategy)[1]


async def apost(thread, content, strategy="enqueue"):
    return await sync_to_async(post)(thread, content, strategy)


def stored(execution_id):
    return list(AgentEvent.objects.filter(execution_id=execution_id).order_by("seq").values_list("seq", flat=True))


async def stream_messages(socket, count, timeout=30):
    """The next ``count`` messages of a thread's stream (statuses skipped)."""
    received = []
    while len(received) < count:
        message = await socket.receive(timeout=timeout)
        if "cursor" in message:
            received.append(message)
    return received


def by_run(messages):
    runs = {}
    for message in messages:
        runs.setdefault(message["execution_id"], []).append(message)
    return runs


async def test_the_stream_gives_every_event_of_every_run_in_turn_and_stays_open(owner, thread):
    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}"})
    first = await apost(thread, "Where to in June?")
    second = await apost(thread, "And in July?")
    done = [await sync_to_async(wait_for_status)(run.id, ENDED) for run in (first, second)]
    counts = [len(await sync_to_async(stored)(run.id)) for run in done]

    messages = await stream_messages(socket, sum(counts))

    # Run after run, in the order they were created; each run complete and in seq order.
    assert [message["execution_id"] for message in messages] == [str(first.id)] * counts[0] + [
        str(second.id)
    ] * counts[1]
    for execution_id, events in by_run(messages).items():
        assert_complete_sequence(events, execution_id)
        assert events[-1]["type"] in TERMINAL_TYPES
    assert {message["stream"] for message in messages} == {f"thread:{thread.id}"}

    # Still open: the next run comes on the same subscription.
    third = await apost(thread, "And August?")
    more = await stream_messages(socket, 2)
    assert [(m["execution_id"], m["seq"]) for m in more] == [(str(third.id), 1), (str(third.id), 2)]
    await socket.close()


async def test_a_cursor_resumes_right_after_its_event_across_runs(owner, thread):
    runs = [await apost(thread, text) for text in ("one", "two", "three")]
    for run in runs:
        await sync_to_async(wait_for_status)(run.id, ENDED)
    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}"})
    total = sum([len(await sync_to_async(stored)(run.id)) for run in runs])
    everything = await stream_messages(socket, total)
    await socket.close()

    # Cut in the middle of the first run: the rest of it, then the other two whole.
    cut = 4
    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}", "cursor": everything[cut]["cursor"]})
    assert await stream_messages(socket, total - cut - 1) == everything[cut + 1 :]
    # And the last cursor of all: nothing is sent again; the next run is.
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}", "cursor": everything[-1]["cursor"]})
    fourth = await apost(thread, "four")
    assert (await stream_messages(socket, 1))[0]["execution_id"] == str(fourth.id)
    await socket.close()


async def test_a_live_run_is_followed_from_the_middle_and_the_queued_one_after_it(owner, make_agent, make_thread):
    agent = await sync_to_async(make_agent)(config={"steps": 1, "tokens": 30, "delay_ms": 40})
    thread = await sync_to_async(make_thread)(agent=agent)
    first = await apost(thread, "slow")
    await sync_to_async(wait_until)(lambda: len(stored(first.id)) >= 5, timeout=30, description="the run is halfway")
    second = await apost(thread, "next")  # queued behind it

    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}"})
    messages = []
    while not (messages and messages[-1]["execution_id"] == str(second.id) and messages[-1]["type"] in TERMINAL_TYPES):
        messages.extend(await stream_messages(socket, 1))
    await socket.close()

    runs = by_run(messages)
    assert list(runs) == [str(first.id), str(second.id)]
    for execution_id, events in runs.items():
        assert_complete_sequence(events, execution_id)


async def test_a_rolled_back_run_gives_way_to_the_run_that_replaced_it(owner, make_agent, make_thread):
    agent = await sync_to_async(make_agent)(config={"steps": 1, "tokens": 500, "delay_ms": 50})
    thread = await sync_to_async(make_thread)(agent=agent)
    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}"})
    doomed = await apost(thread, "long")
    seen = await stream_messages(socket, 3)
    assert {message["execution_id"] for message in seen} == {str(doomed.id)}

    replacement = await apost(thread, "instead", strategy="rollback")
    assert not await sync_to_async(AgentExecution.objects.filter(id=doomed.id).exists)()
    while True:
        message = (await stream_messages(socket, 1))[0]
        if message["execution_id"] == str(replacement.id):
            break
        assert message["execution_id"] == str(doomed.id)  # what it sent before the rollback reached it
    assert message["seq"] == 1
    await socket.close()


async def test_a_cursor_into_a_run_rolled_back_since_resumes_with_the_run_after_it(owner, make_agent, make_thread):
    agent = await sync_to_async(make_agent)(config={"steps": 1, "tokens": 500, "delay_ms": 50})
    thread = await sync_to_async(make_thread)(agent=agent)
    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}"})
    await apost(thread, "long")
    cursor = (await stream_messages(socket, 2))[-1]["cursor"]
    await socket.close()

    replacement = await apost(thread, "instead", strategy="rollback")
    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}", "cursor": cursor})

    first = (await stream_messages(socket, 1))[0]
    assert (first["execution_id"], first["seq"]) == (str(replacement.id), 1)
    await socket.close()


@pytest.mark.parametrize(
    "frame, code",
    [
        ({"action": "subscribe", "stream": "thread:nope"}, "invalid_field"),
        ({"action": "subscribe", "stream": "room:1"}, "invalid_field"),
        ({"action": "subscribe", "stream": "thread:{thread}", "cursor": "12:x:3"}, "invalid_field"),
        ({"action": "subscribe", "stream": "thread:{thread}", "cursor": 7}, "invalid_field"),
    ],
)
async def test_a_bad_stream_frame_is_an_error_with_its_field_and_the_socket_stays_open(owner, thread, frame, code):
    frame = {key: value.format(thread=thread.id) if isinstance(value, str) else value for key, value in frame.items()}
    socket = await AgentSocket.open(None, user=owner)
    await socket.send(frame)
    error = await socket.receive()
    assert (error["type"], error["code"]) == ("error", code)
    assert set(error["fields"]) <= {"stream", "cursor"} and error["fields"]
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}
    await socket.close()


async def test_someone_elses_thread_is_not_found_and_the_agent_socket_has_no_streams(owner, outsider, thread, agent):
    socket = await AgentSocket.open(None, user=outsider)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}"})
    assert (await socket.receive())["code"] == "not_found"
    await apost(thread, "private")
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}  # and nothing of Olivia's came before it
    await socket.close()

    socket = await AgentSocket.open(agent.id, user=owner)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}"})
    while (message := await socket.receive())["type"] != "error":
        assert message["type"] == "execution_status"  # the agent socket hears of its agent's runs
    assert message["code"] == "invalid_frame"
    await socket.close()


# --- Server-sent events ---------------------------------------------------------------------------------


def client_for(api, user):
    token = Token.objects.get_or_create(user=user)[0].key
    return httpx.Client(base_url=api.url, headers={"Authorization": f"Token {token}"}, trust_env=False, timeout=30)


def sse_frames(client, thread_id, count, **kwargs):
    frames = []
    with connect_sse(client, "GET", f"/api/threads/{thread_id}/stream/", **kwargs) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            frames.append((sse.id, sse.event, sse.json()))
            if len(frames) == count:
                return frames
    raise AssertionError(f"the stream ended after {len(frames)} frames")


def test_the_sse_stream_of_a_thread_resumes_from_the_last_event_id(api, owner, outsider, thread):
    runs = [post(thread, text) for text in ("one", "two")]
    for run in runs:
        wait_for_status(run.id, ENDED)
    total = sum(len(stored(run.id)) for run in runs)
    client = client_for(api, owner)

    frames = sse_frames(client, thread.id, total)
    assert [data["execution_id"] for _, _, data in frames] == [str(runs[0].id)] * len(stored(runs[0].id)) + [
        str(runs[1].id)
    ] * len(stored(runs[1].id))
    assert all(frame_id == data["cursor"] and event == data["type"] for frame_id, event, data in frames)

    resumed = sse_frames(client, thread.id, total - 3, headers={"Last-Event-ID": frames[2][0]})
    from_query = sse_frames(client, thread.id, total - 5, params={"cursor": frames[4][0]})
    assert resumed == frames[3:] and from_query == frames[5:]

    assert client.get(f"/api/threads/{thread.id}/stream/", params={"cursor": "nonsense"}).status_code == 400
    assert client_for(api, outsider).get(f"/api/threads/{thread.id}/stream/").status_code == 404


def test_an_sse_stream_of_a_thread_stays_open_for_its_next_run(api, owner, thread):
    first = post(thread, "hello")
    wait_for_status(first.id, ENDED)
    before = len(stored(first.id))
    client = client_for(api, owner)
    frames = []

    def listen():
        with connect_sse(client, "GET", f"/api/threads/{thread.id}/stream/") as source:
            for sse in source.iter_sse():
                frames.append(sse.json())
                if len(frames) == before + 2:
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    wait_until(lambda: len(frames) == before, timeout=30, description="the stream replayed the first run")
    second = post(thread, "again")  # posted while the stream is open, past its replay
    listener.join(timeout=30)

    after = [(data["execution_id"], data["seq"]) for data in frames[before:]]
    assert after == [(str(second.id), 1), (str(second.id), 2)]


async def test_an_error_about_a_stream_names_it(owner, outsider, thread):
    socket = await AgentSocket.open(None, user=outsider)
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}", "cursor": "bad"})
    error = await socket.receive()
    assert (error["code"], error["stream"]) == ("invalid_field", f"thread:{thread.id}")
    await socket.send({"action": "subscribe", "stream": f"thread:{thread.id}"})
    error = await socket.receive()
    assert (error["code"], error["stream"]) == ("not_found", f"thread:{thread.id}")
    await socket.close()
