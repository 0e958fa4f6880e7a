"""Rooms through the REST API and the real worker and agent server: the turns' order, what each saw, their end.

Olivia seats her synthetic agents (a planner, a critic, a writer) in a room
and lets them take turns; Oscar, another user, can neither see nor drive
her room, nor seat her agents in his. Every check reads the stored rows:
the turns' executions, their inputs and times, the room's messages and
events.
"""

import pytest

from rooms.models import Room, RoomMessage, Turn
from runs.models import AgentExecution
from testsupport import wait_until

pytestmark = pytest.mark.usefixtures("worker")

TASK = "Plan a weekend in Lisbon."


@pytest.fixture
def olivia(api_as, owner):
    return api_as(owner)


@pytest.fixture
def oscar(api_as, outsider):
    return api_as(outsider)


@pytest.fixture
def crew(make_agent):
    """Three agents; the planner's answers are the longest (five tokens)."""
    return [
        make_agent(name="Planner", config={"steps": 1, "tokens": 5, "delay_ms": 0}),
        make_agent(name="Critic", config={"steps": 1, "tokens": 3, "delay_ms": 0}),
        make_agent(name="Writer", config={"steps": 1, "tokens": 3, "delay_ms": 0}),
    ]


def create_room(client, agents, **fields):
    seats = [{"agent": str(agent.id), "instructions": f"You are the {agent.name.lower()}."} for agent in agents]
    body = {"name": "Lisbon", "task": TASK, "max_rounds": 2, "seats": seats, **fields}
    response = client.post("/api/rooms/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def ended(room_id, timeout=60):
    wait_until(lambda: Room.objects.get(id=room_id).status in Room.ENDED_STATUSES, timeout=timeout, interval=0.2,
               description="the room ended")
    return Room.objects.get(id=room_id)


def turns_of(room_id):
    return list(Turn.objects.filter(room_id=room_id).select_related("seat__agent", "execution").order_by("id"))


def test_a_sequential_room_takes_turns_in_seat_order_each_seeing_every_earlier_answer(olivia, crew):
    room = create_room(olivia, crew)

    assert olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json").status_code == 200
    finished = ended(room["id"])

    assert (finished.status, finished.end_reason, finished.round) == ("completed", "max_rounds", 2)
    turns = turns_of(room["id"])
    assert [(turn.round, turn.seat.position) for turn in turns] == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    for before, after in zip(turns, turns[1:], strict=False):
        assert before.execution.completed_at <= after.execution.started_at  # one after the other
    answers = list(RoomMessage.objects.filter(room_id=room["id"], role="assistant").order_by("id"))
    assert [(answer.round, answer.seat.position) for answer in answers] == [
        (turn.round, turn.seat.position) for turn in turns]
    for index, turn in enumerate(turns):
        seen = turn.execution.input_data["messages"]
        # Its instructions, the task, then every answer before its turn: its own as the assistant's.
        assert seen[:2] == [{"role": "system", "content": f"You are the {turn.seat.agent.name.lower()}."},
                            {"role": "user", "content": TASK}]
        expected = [
            {"role": "assistant", "content": answer.content} if answer.seat_id == turn.seat_id
            else {"role": "user", "content": f"{answer.agent.name}: {answer.content}"}
            for answer in answers[:index]
        ]
        assert seen[2:] == expected
        assert turn.execution.input_data["message"] == (
            f"Round {turn.round} of 2: it is your turn, {turn.seat.agent.name}.")
    events = olivia.get(f"/api/rooms/{room['id']}/events/?page_size=100").json()["results"]
    kinds = [event["event_type"] for event in events]
    assert kinds[0] == "room_started" and kinds[-1] == "room_completed"
    assert kinds.count("turn_started") == kinds.count("turn_completed") == 6 and kinds.count("round_completed") == 2
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(set(seqs))  # in the room's one sequence, with its turns' events in between
    listed = olivia.get(f"/api/rooms/{room['id']}/messages/").json()["results"]
    assert [message["agent_name"] for message in listed] == [None, *["Planner", "Critic", "Writer"] * 2]
    assert [message["round"] for message in listed] == [0, 1, 1, 1, 2, 2, 2]


def test_a_parallel_round_runs_its_turns_at_once_and_its_answers_join_in_seat_order(olivia, make_agent):
    # The last seat is the quickest: its answer still joins the room last.
    crew = [make_agent(name=f"Seat {index}", config={"steps": 1, "tokens": 20, "delay_ms": delay})
            for index, delay in enumerate((60, 40, 20))]
    room = create_room(olivia, crew, mode="parallel")

    olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json")
    finished = ended(room["id"])

    assert finished.status == "completed"
    turns = turns_of(room["id"])
    for round_number in (1, 2):
        of_round = [turn for turn in turns if turn.round == round_number]
        assert len(of_round) == 3
        # They overlapped: each started before any of them had ended.
        assert max(turn.execution.started_at for turn in of_round) < min(
            turn.execution.completed_at for turn in of_round)
        answers = RoomMessage.objects.filter(room_id=room["id"], round=round_number).order_by("id")
        assert [answer.seat.position for answer in answers] == [0, 1, 2]
    # A round saw the messages before it: round 2 the task and round 1's three answers, none of its own round.
    for turn in turns:
        assert len(turn.execution.input_data["messages"]) == 2 + (3 if turn.round == 2 else 0)


def test_a_pause_waits_for_the_running_turn_and_resume_goes_on_with_the_next(olivia, make_agent):
    slow = [make_agent(name=f"Slow {index}", config={"steps": 1, "tokens": 30, "delay_ms": 30}) for index in range(2)]
    room = create_room(olivia, slow, max_rounds=1)
    olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json")
    first = turns_of(room["id"])[0].execution
    wait_until(lambda: AgentExecution.objects.get(id=first.id).status == "running", timeout=30)

    asked = olivia.post(f"/api/rooms/{room['id']}/pause/", {}, format="json").json()

    assert (asked["status"], asked["pause_requested"]) == ("running", True)
    wait_until(lambda: Room.objects.get(id=room["id"]).status == "paused", timeout=30)
    assert [turn.execution.status for turn in turns_of(room["id"])] == ["completed"]  # no next turn meanwhile
    assert olivia.post(f"/api/rooms/{room['id']}/pause/", {}, format="json").json()["status"] == "paused"

    assert olivia.post(f"/api/rooms/{room['id']}/resume/").json()["status"] == "running"
    assert ended(room["id"]).status == "completed"
    assert [(turn.seat.position, turn.execution.status) for turn in turns_of(room["id"])] == [
        (0, "completed"), (1, "completed")]


def test_pause_now_stops_the_running_turn_and_resume_runs_it_again(olivia, make_agent):
    slow = make_agent(name="Slow", config={"steps": 1, "tokens": 200, "delay_ms": 20})
    room = create_room(olivia, [slow], max_rounds=1)
    olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json")
    first = turns_of(room["id"])[0].execution
    wait_until(lambda: AgentExecution.objects.get(id=first.id).status == "running", timeout=30)

    olivia.post(f"/api/rooms/{room['id']}/pause/", {"pause_now": True}, format="json")

    wait_until(lambda: Room.objects.get(id=room["id"]).status == "paused", timeout=30)
    assert AgentExecution.objects.get(id=first.id).status == "stopped"
    olivia.post(f"/api/rooms/{room['id']}/resume/")
    assert ended(room["id"], timeout=90).status == "completed"
    turns = turns_of(room["id"])
    assert [(turn.redo, turn.execution.status) for turn in turns] == [(True, "stopped"), (False, "completed")]
    assert RoomMessage.objects.filter(room_id=room["id"], role="assistant").count() == 1


def test_stop_ends_every_running_turn_from_any_request_and_again_changes_nothing(olivia, make_agent):
    slow = [make_agent(name=f"Slow {index}", config={"steps": 1, "tokens": 300, "delay_ms": 20}) for index in range(3)]
    room = create_room(olivia, slow, mode="parallel")
    olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json")
    wait_until(lambda: all(turn.execution.status == "running" for turn in turns_of(room["id"])), timeout=30)

    stopped = olivia.post(f"/api/rooms/{room['id']}/stop/").json()

    assert (stopped["status"], stopped["end_reason"]) == ("stopped", "stopped")
    wait_until(lambda: all(turn.execution.is_terminal for turn in turns_of(room["id"])), timeout=30)
    assert {turn.execution.status for turn in turns_of(room["id"])} == {"stopped"}
    assert olivia.post(f"/api/rooms/{room['id']}/stop/").json()["status"] == "stopped"
    assert not RoomMessage.objects.filter(room_id=room["id"], role="assistant").exists()


@pytest.mark.parametrize(("policy", "status", "turns"), [("fail", "failed", 2), ("continue", "completed", 3)])
def test_a_failed_turn_fails_the_room_or_is_recorded_and_passed_by_as_its_policy_says(
    olivia, make_agent, policy, status, turns
):
    crew = [
        make_agent(name="Steady", config={"steps": 1, "tokens": 2, "delay_ms": 0}),
        make_agent(name="Shaky", config={"steps": 1, "tokens": 2, "delay_ms": 0, "fail_at": 2}),
        make_agent(name="Closer", config={"steps": 1, "tokens": 2, "delay_ms": 0}),
    ]
    room = create_room(olivia, crew, max_rounds=1, on_turn_failure=policy)

    olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json")
    finished = ended(room["id"])

    assert finished.status == status
    assert [turn.execution.status for turn in turns_of(room["id"])] == ["completed", "failed", "completed"][:turns]
    events = {event["event_type"]: event for event in olivia.get(f"/api/rooms/{room['id']}/events/").json()["results"]}
    if policy == "continue":
        assert events["round_completed"]["content"]["failed_seats"] == [1]
    else:
        assert finished.end_reason == "turn_failed" and "round_completed" not in events


def test_an_answer_with_the_stop_phrase_ends_the_room_after_its_turn(olivia, crew):
    room = create_room(olivia, crew, stop_phrase="TOK5")  # only the planner says five tokens

    olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json")
    finished = ended(room["id"])

    assert (finished.status, finished.end_reason) == ("completed", "stop_phrase")
    assert [turn.seat.position for turn in turns_of(room["id"])] == [0]


def test_bad_input_is_a_400_and_a_room_in_the_wrong_state_a_409(olivia, crew, make_agent):
    assert olivia.post("/api/rooms/", {"name": "Empty", "seats": []}, format="json").status_code == 400
    response = olivia.post("/api/rooms/", {"name": "Zero", "max_rounds": 0, "mode": "circular",
                                           "seats": [{"agent": str(crew[0].id)}]}, format="json")
    assert response.status_code == 400 and {"max_rounds", "mode"} <= set(response.json())
    slow = make_agent(name="Slow", config={"steps": 1, "tokens": 300, "delay_ms": 20})
    room = create_room(olivia, [slow], task="")
    assert olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json").status_code == 400
    assert olivia.post(f"/api/rooms/{room['id']}/pause/", {}, format="json").status_code == 409
    assert olivia.post(f"/api/rooms/{room['id']}/stop/").status_code == 409

    assert olivia.post(f"/api/rooms/{room['id']}/start/", {"task": TASK}, format="json").status_code == 200

    assert olivia.post(f"/api/rooms/{room['id']}/start/", {}, format="json").status_code == 409
    changed = olivia.patch(f"/api/rooms/{room['id']}/", {"seats": [{"agent": str(crew[1].id)}]}, format="json")
    assert changed.status_code == 409
    renamed = olivia.patch(f"/api/rooms/{room['id']}/", {"name": "Lisbon, again", "max_rounds": 1}, format="json")
    assert renamed.status_code == 200 and renamed.json()["task"] == TASK
    assert olivia.post(f"/api/rooms/{room['id']}/stop/").status_code == 200
    assert [seat["agent"] for seat in olivia.get(f"/api/rooms/{room['id']}/").json()["seats"]] == [str(slow.id)]
    # The rename came while the turn's events were taking the log's next seqs: none was handed out twice.
    wait_until(lambda: not AgentExecution.objects.filter(room_id=room["id"]).exclude(
        status__in=AgentExecution.TERMINAL_STATUSES).exists(), timeout=30, description="the turn ended")
    stopped = Room.objects.get(id=room["id"])
    assert stopped.status == Room.Status.STOPPED
    assert list(stopped.events.order_by("seq").values_list("seq", flat=True)) == list(range(1, stopped.last_seq + 1))


def test_someone_elses_room_is_not_found_and_her_agents_take_no_seat_of_his(olivia, oscar, crew, outsider, make_agent):
    room = create_room(olivia, crew)

    for method, path in [("get", ""), ("post", "start/"), ("post", "pause/"), ("post", "resume/"), ("post", "stop/"),
                         ("get", "messages/"), ("get", "events/"), ("delete", "")]:
        assert getattr(oscar, method)(f"/api/rooms/{room['id']}/{path}").status_code == 404, (method, path)
    assert oscar.get("/api/rooms/").json()["results"] == []
    his = oscar.post("/api/rooms/", {"name": "Mine", "task": TASK, "seats": [{"agent": str(crew[0].id)}]},
                     format="json")
    assert his.status_code == 400 and "seats" in his.json()
    assert Room.objects.get(id=room["id"]).status == "idle"
