"""A room's stream: ``subscribe`` to ``room:<id>`` on the user socket, and ``GET /api/rooms/{id}/stream/``.

Olivia's three synthetic agents take parallel rounds on a real worker; the
room's stream gives every event of the room and of its turns in one order
(``room_seq``), each once, resumed with one cursor however often her viewer
drops. Oscar, another user, reaches none of it.
"""

import httpx
import pytest
from asgiref.sync import sync_to_async
from httpx_sse import connect_sse
from rest_framework.authtoken.models import Token

from rooms import log, services
from rooms.models import Room, RoomEvent, Turn
from runs.models import AgentEvent
from testsupport.sockets import AgentSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("worker")]


@pytest.fixture
def crew(make_agent):
    """Three agents whose turns last a second or so: long enough to overlap, and to drop a viewer in."""
    return [
        make_agent(name=name, config={"steps": 1, "tokens": 25, "delay_ms": 30})
        for name in ("Planner", "Critic", "Writer")
    ]


def make_room(owner, agents, **fields):
    room = Room.objects.create(owner=owner, name="Lisbon", task="Plan a weekend in Lisbon.", **fields)
    services.set_seats(room, [{"agent": agent} for agent in agents], owner)
    return room


def start(room, owner):
    return services.start(room, owner)


def stored_stream(room_id):
    """The room's whole stream as the database has it."""
    return log.messages_after(str(room_id), 0, 100_000)


async def next_message(socket, stream, timeout=30):
    """The next message of ``stream`` (the socket's other messages skipped)."""
    while True:
        message = await socket.receive(timeout=timeout)
        if message.get("stream") == stream:
            return message


def plain(message):
    return {key: value for key, value in message.items() if key not in ("stream", "cursor")}


async def test_a_viewer_dropped_three_times_in_a_parallel_round_gets_every_event_once_in_order(owner, crew):
    room = await sync_to_async(make_room)(owner, crew, mode=Room.Mode.PARALLEL, max_rounds=2)
    stream = f"room:{room.id}"
    received, cursor, drops = [], None, 0
    await sync_to_async(start)(room, owner)
    while True:
        socket = await AgentSocket.open(None, user=owner)
        await socket.send({"action": "subscribe", "stream": stream, **({"cursor": cursor} if cursor else {})})
        # Dropped after a handful of messages, three times, while the first round's turns stream.
        for _ in range(12 if drops < 3 else 100_000):
            message = await next_message(socket, stream)
            received.append(message)
            cursor = message["cursor"]
            if message["type"] in log.ENDED_TYPES:
                break
        await socket.close()
        if received[-1]["type"] in log.ENDED_TYPES:
            break
        drops += 1

    assert drops == 3
    stored = await sync_to_async(stored_stream)(room.id)
    assert [plain(message) for message in received] == stored  # every event once, in the room's order
    assert [message["room_seq"] for message in received] == list(range(1, len(received) + 1))
    assert all(message["cursor"] == str(message["room_seq"]) for message in received)
    # Every event of every turn is there, each turn's in its own order.
    turns = await sync_to_async(list)(Turn.objects.filter(room=room).values_list("execution_id", flat=True))
    assert len(turns) == 6
    for execution_id in turns:
        seqs = [message["seq"] for message in received if message.get("execution_id") == str(execution_id)]
        count = await sync_to_async(AgentEvent.objects.filter(execution_id=execution_id).count)()
        assert seqs == list(range(1, count + 1))
    # The first round's three turns streamed at once: their tokens interleave in the one order.
    first_round = [message.get("execution_id") for message in received if message.get("event_type") == "token"]
    first_round = [execution_id for execution_id in first_round if execution_id in {str(t) for t in turns[:3]}]
    switches = sum(1 for before, after in zip(first_round, first_round[1:], strict=False) if before != after)
    assert switches > 2
    kinds = [message["type"] for message in received if "execution_id" not in message]
    assert kinds[0] == "room_started" and kinds[-1] == "room_completed"
    assert kinds.count("turn_started") == 6 and kinds.count("round_completed") == 2


async def test_a_turn_started_comes_before_its_turns_events_and_its_turn_completed_after(owner, crew):
    room = await sync_to_async(make_room)(owner, crew[:2], max_rounds=1)
    socket = await AgentSocket.open(None, user=owner)
    await socket.send({"action": "subscribe", "stream": f"room:{room.id}"})
    await sync_to_async(start)(room, owner)
    received = []
    while not received or received[-1]["type"] not in log.ENDED_TYPES:
        received.append(await next_message(socket, f"room:{room.id}"))
    for message in received:
        if message["type"] != "turn_started":
            continue
        execution_id = message["content"]["execution_id"]
        places = [index for index, other in enumerate(received) if other.get("execution_id") == execution_id]
        completed = next(index for index, other in enumerate(received)
                         if other["type"] == "turn_completed" and other["content"]["execution_id"] == execution_id)
        assert received.index(message) < min(places) and max(places) < completed
    # Sequential: the second turn's events all come after the first's.
    first, second = [m["content"]["execution_id"] for m in received if m["type"] == "turn_started"]
    places = {execution_id: [i for i, m in enumerate(received) if m.get("execution_id") == execution_id]
              for execution_id in (first, second)}
    assert max(places[first]) < min(places[second])
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}  # the ended stream sends nothing more
    await socket.close()


async def test_the_room_stream_is_its_owners_only_and_bad_frames_are_errors(owner, outsider, crew):
    room = await sync_to_async(make_room)(owner, crew[:1], max_rounds=1)
    socket = await AgentSocket.open(None, user=outsider)
    await socket.send({"action": "subscribe", "stream": f"room:{room.id}"})
    error = await socket.receive()
    assert (error["type"], error["code"], error["stream"]) == ("error", "not_found", f"room:{room.id}")
    await sync_to_async(start)(room, owner)
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}  # nothing of Olivia's room came before it
    await socket.close()

    socket = await AgentSocket.open(None, user=owner)
    for cursor in ("x", "12:3", 7, "-1", "99999999999"):
        await socket.send({"action": "subscribe", "stream": f"room:{room.id}", "cursor": cursor})
        error = await socket.receive()
        assert (error["type"], error["code"], list(error["fields"])) == ("error", "invalid_field", ["cursor"])
    await socket.send({"action": "subscribe", "stream": f"room:{room.id}", "cursor": "2"})
    assert (await next_message(socket, f"room:{room.id}"))["room_seq"] == 3
    await socket.send({"action": "unsubscribe", "stream": f"room:{room.id}"})
    await socket.send({"action": "ping"})
    while (message := await socket.receive())["type"] != "pong":
        assert message.get("stream") == f"room:{room.id}"  # what was under way before the unsubscribe
    await socket.close()


async def test_a_pause_and_resume_are_in_the_stream_between_turns(owner, crew):
    room = await sync_to_async(make_room)(owner, crew[:2], max_rounds=1)
    socket = await AgentSocket.open(None, user=owner)
    stream = f"room:{room.id}"
    await socket.send({"action": "subscribe", "stream": stream})
    await sync_to_async(start)(room, owner)
    while (message := await next_message(socket, stream))["type"] != "turn_started":
        pass
    await sync_to_async(services.pause)(room, owner)
    while (message := await next_message(socket, stream))["type"] != "room_paused":
        assert message["type"] != "turn_started"  # the running turn ends; the next waits
    await sync_to_async(services.resume)(room, owner)
    kinds = []
    while not kinds or kinds[-1] not in log.ENDED_TYPES:
        kinds.append((await next_message(socket, stream))["type"])
    assert kinds[0] == "room_resumed" and "turn_started" in kinds and kinds[-1] == "room_completed"
    await socket.close()


# --- Server-sent events ---------------------------------------------------------------------------------


def client_for(api, user):
    token = Token.objects.get_or_create(user=user)[0].key
    return httpx.Client(base_url=api.url, headers={"Authorization": f"Token {token}"}, trust_env=False, timeout=30)


def sse_frames(client, room_id, **kwargs):
    """Every frame of the room's stream, until it ends."""
    with connect_sse(client, "GET", f"/api/rooms/{room_id}/stream/", **kwargs) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [(sse.id, sse.event, sse.json()) for sse in source.iter_sse()]


def test_the_sse_stream_of_a_room_ends_with_it_and_resumes_from_the_last_event_id(api, owner, outsider, crew):
    room = make_room(owner, crew[:2], mode=Room.Mode.PARALLEL, max_rounds=1)
    client = client_for(api, owner)
    start(room, owner)

    frames = sse_frames(client, room.id)  # live from the start, to the room's end
    assert [plain(data) for _, _, data in frames] == stored_stream(room.id)
    assert frames[-1][1] == "room_completed"
    assert all(frame_id == data["cursor"] and event == data["type"] for frame_id, event, data in frames)

    assert sse_frames(client, room.id, headers={"Last-Event-ID": frames[9][0]}) == frames[10:]
    assert sse_frames(client, room.id, params={"cursor": frames[4][0]}) == frames[5:]
    assert client.get(f"/api/rooms/{room.id}/stream/", params={"cursor": "nonsense"}).status_code == 400
    assert client_for(api, outsider).get(f"/api/rooms/{room.id}/stream/").status_code == 404
    assert RoomEvent.objects.filter(room=room).count() == len(frames)
