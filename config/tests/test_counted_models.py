"""A whole-row save never puts back a counter that another transaction moved since the row was read."""

from django.db.models import F

from rooms.models import Room
from threads.models import Thread


def test_a_stale_room_saved_whole_keeps_the_seqs_and_round_its_log_and_services_moved(db, owner):
    room = Room.objects.create(owner=owner, name="Lisbon")
    stale = Room.objects.get(id=room.id)
    # Meanwhile a turn's events took the log's next seqs, and the room went on a round.
    Room.objects.filter(id=room.id).update(last_seq=F("last_seq") + 5, round=F("round") + 1)

    stale.name = "Lisbon, again"
    stale.save()

    room.refresh_from_db()
    assert (room.name, room.last_seq, room.round) == ("Lisbon, again", 5, 1)


def test_a_stale_thread_saved_whole_keeps_its_last_turn(db, owner, agent):
    thread = Thread.objects.create(owner=owner, agent=agent)
    stale = Thread.objects.get(id=thread.id)
    Thread.objects.filter(id=thread.id).update(last_turn=F("last_turn") + 2)

    stale.title = "Weekend plans"
    stale.save()

    thread.refresh_from_db()
    assert (thread.title, thread.last_turn) == ("Weekend plans", 2)


def test_a_save_that_names_a_counter_still_writes_it(db, owner):
    room = Room.objects.create(owner=owner, name="Lisbon")
    room.round = 1
    room.save(update_fields=["round"])
    assert Room.objects.get(id=room.id).round == 1
