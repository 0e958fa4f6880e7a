"""Django admin: a room with its seats, turns and events (read-only: the audit trail)."""

import pytest

from rooms import services
from rooms.models import Room, Seat

pytestmark = pytest.mark.django_db


def test_a_room_page_shows_its_seats_turns_and_events(admin_client_for, owner, make_agent):
    room = Room.objects.create(owner=owner, name="Pair", task="Say hello.", max_rounds=1)
    Seat.objects.create(room=room, agent=make_agent(name="Greeter"), position=0)
    services.start(room, owner)

    assert "Pair" in admin_client_for.get("/admin/rooms/room/?status__exact=running").content.decode()
    page = admin_client_for.get(f"/admin/rooms/room/{room.id}/change/").content.decode()
    assert "Greeter" in page and "room_started" in page and "turn_started" in page
