"""Rooms through process faults: a room lives in the database, not in any process.

A room paused during a turn is resumed after its api and its worker were
both killed and started again: it completes every round, and no seat takes
a turn twice. A worker killed during a turn fails that turn with
`worker_lost` once its lease expires; the room then fails
(`on_turn_failure: fail`) or records the failed seat and goes on
(`continue`, the default), and nothing is left running.
"""

import time

from testsupport.faults import kill

from .clients import Rest
from .conftest import LEASE, REAP_INTERVAL, SLACK
from .invariants import check_invariants, unfinished_count
from .scenario import in_db, make_agent, run_seconds, wait_for

TURN = {"steps": 1, "tokens": 60, "delay_ms": 50}  # 3 s
LONG_TURN = {"steps": 1, "tokens": 400, "delay_ms": 25}  # 10 s: still streaming at the kill


async def create_room(rest, agents, **fields):
    body = {"name": "Fault room", "task": "Take turns.", "seats": [{"agent": agent} for agent in agents], **fields}
    response = await rest.http.post(rest._url("/api/rooms/"), json=body)
    assert response.status_code == 201, response.text[:500]
    return response.json()["id"]


async def act(rest, room_id, action, **body):
    response = await rest.http.post(rest._url(f"/api/rooms/{room_id}/{action}/"), json=body)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _room(room_id):
    from rooms.models import Room

    return Room.objects.get(id=room_id)


def _turns(room_id):
    from rooms.models import Turn

    return [
        (turn.round, turn.seat.position, turn.execution.status, turn.execution.error_code)
        for turn in Turn.objects.filter(room_id=room_id).select_related("seat", "execution").order_by("id")
    ]


def _answers(room_id):
    from rooms.models import RoomMessage

    return list(RoomMessage.objects.filter(room_id=room_id, role="assistant").order_by("id")
                .values_list("round", "seat__position"))


async def room_status_is(room_id, *statuses):
    return (await in_db(_room, room_id)).status in statuses


async def test_a_room_paused_mid_turn_resumes_after_its_api_and_worker_restarted(stack, owner, token, figures):
    worker = stack.start_worker(concurrency=4)
    stack.start_beat()
    api = stack.start_api()
    rest = Rest([api.url], token)
    agents = [await make_agent(owner, TURN, name=f"Seat {n}") for n in range(2)]
    room_id = await create_room(rest, agents, max_rounds=2)
    await act(rest, room_id, "start")
    await wait_for(lambda: _turn_streaming(room_id), 30, "the first turn streams")

    asked = await act(rest, room_id, "pause")
    assert (asked["status"], asked["pause_requested"]) == ("running", True)
    await wait_for(lambda: room_status_is(room_id, "paused"), run_seconds(TURN) + SLACK + 10, "the room paused")
    fault_at = time.time()
    kill(worker)
    api = stack.restart_api(api)
    stack.start_worker(concurrency=4)
    await rest.close()
    rest = Rest([api.url], token)
    await act(rest, room_id, "resume")

    bound = 4 * run_seconds(TURN) + 4 * SLACK
    await wait_for(lambda: room_status_is(room_id, "completed"), bound, "the room completed")
    await rest.close()

    turns = await in_db(_turns, room_id)
    assert [(round_number, seat) for round_number, seat, *_ in turns] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert {status for _, _, status, _ in turns} == {"completed"}
    assert await in_db(_answers, room_id) == [(1, 0), (1, 1), (2, 0), (2, 1)]
    figures |= await in_db(check_invariants, [], fault_at=fault_at)
    figures |= {"turns": len(turns), "bound_seconds": bound}


async def test_a_worker_killed_during_a_turn_fails_it_and_the_room_follows_its_policy(stack, owner, token, figures):
    victim = stack.start_worker(concurrency=4)
    stack.start_beat()
    api = stack.start_api()
    rest = Rest([api.url], token)
    long_agent = await make_agent(owner, LONG_TURN, name="Long")
    short_agent = await make_agent(owner, TURN, name="Short")
    failing = await create_room(rest, [long_agent, short_agent], max_rounds=1, on_turn_failure="fail")
    going_on = await create_room(rest, [long_agent, short_agent], max_rounds=1)
    for room_id in (failing, going_on):
        await act(rest, room_id, "start")
    for room_id in (failing, going_on):
        await wait_for(lambda room_id=room_id: _turn_streaming(room_id), 30, "the first turn streams")

    fault_at = kill(victim)
    started = time.monotonic()
    stack.start_worker(concurrency=4)
    bound = time.monotonic() - started + LEASE + REAP_INTERVAL + run_seconds(TURN) + 2 * SLACK
    await wait_for(lambda: room_status_is(failing, "failed"), bound, "the failing room failed")
    await wait_for(lambda: room_status_is(going_on, "completed"), bound, "the other room completed")
    await wait_for(_none_unfinished, 10, "nothing left running")
    await rest.close()

    assert await in_db(_turns, failing) == [(1, 0, "failed", "worker_lost")]
    assert (await in_db(_room, failing)).end_reason == "turn_failed"
    assert await in_db(_turns, going_on) == [(1, 0, "failed", "worker_lost"), (1, 1, "completed", "")]
    assert await in_db(_answers, going_on) == [(1, 1)]
    assert await in_db(_failed_seats, going_on) == [0]
    figures |= await in_db(check_invariants, [], fault_at=fault_at)
    figures |= {"bound_seconds": round(bound, 2)}


def _failed_seats(room_id):
    from rooms.models import RoomEvent

    return RoomEvent.objects.get(room_id=room_id, event_type="round_completed").content["failed_seats"]


async def _turn_streaming(room_id):
    def streaming():
        from rooms.models import Turn

        turn = Turn.objects.filter(room_id=room_id).select_related("execution").order_by("id").first()
        return turn is not None and turn.execution.status == "running" and turn.execution.last_seq > 3

    return await in_db(streaming)


async def _none_unfinished():
    return await in_db(unfinished_count) == 0
