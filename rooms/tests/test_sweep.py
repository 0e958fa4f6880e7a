"""A turn's end whose run_finished task was lost is taken in by the sweep, and the room goes on."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rooms import services
from rooms.models import Room, Seat, Turn
from runs import services as runs_services
from runs.models import AgentExecution

pytestmark = pytest.mark.django_db


def test_the_sweep_moves_a_room_on_from_a_turn_that_ended_unseen(owner, make_agent):
    room = Room.objects.create(owner=owner, name="Pair", task="Say hello.", max_rounds=1)
    for position, name in enumerate(("First", "Second")):
        Seat.objects.create(room=room, agent=make_agent(name=name), position=position)
    services.start(room, owner)
    (first,) = Turn.objects.filter(room=room)
    # The turn's run ends, but no run_finished task runs (this test's commits send none).
    runs_services.claim_execution(first.execution_id)
    runs_services.complete_execution(first.execution_id, {"text": "Hello."})

    assert runs_services.sweep_executions()["rooms"] == 0  # not yet: its hook may still be on the way
    AgentExecution.objects.filter(id=first.execution_id).update(completed_at=timezone.now() - timedelta(hours=1))
    assert runs_services.sweep_executions()["rooms"] == 1

    turns = list(Turn.objects.filter(room=room).order_by("id"))
    assert [turn.seat.position for turn in turns] == [0, 1] and turns[0].ended_at is not None
    assert turns[1].execution.input_data["messages"][-1] == {"role": "user", "content": "First: Hello."}
    assert runs_services.sweep_executions()["rooms"] == 0  # taken in once
