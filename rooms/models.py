"""Rooms: several of a user's agents taking turns on one task, round after round.

A ``Room`` has ``Seat``s (an agent, its place in the order, its
instructions for this room). A round gives every seat one ``Turn``: an
ordinary execution of the seat's agent (``AgentExecution.room`` set),
sequential (one seat after the other, each seeing this round's earlier
answers) or parallel (all at once on the messages before the round, their
answers joining in seat order when all have ended). What the room has said
is its ``RoomMessage``s, in order; what happened to it and to its turns, its
``RoomEvent``s, numbered like an execution's events.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from config.models import CountedModel

MAX_ROUNDS = 50
MAX_SEATS = 12


class Room(CountedModel):
    class Mode(models.TextChoices):
        SEQUENTIAL = "sequential"
        PARALLEL = "parallel"

    class Status(models.TextChoices):
        IDLE = "idle"
        RUNNING = "running"
        PAUSED = "paused"
        COMPLETED = "completed"
        STOPPED = "stopped"
        FAILED = "failed"

    class OnTurnFailure(models.TextChoices):
        # The failed turn is recorded (its round says which seats failed) and the room goes on.
        CONTINUE = "continue"
        # The room fails with the turn; its other running turns are stopped.
        FAIL = "fail"

    ENDED_STATUSES = (Status.COMPLETED, Status.STOPPED, Status.FAILED)
    # Moved only by the room's services and its log, never by a whole-row save.
    counters = ("last_seq", "round")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=200)
    task = models.TextField(blank=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.SEQUENTIAL)
    max_rounds = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(MAX_ROUNDS)]
    )
    # A turn whose answer holds this (case ignored) ends the room after it; empty: none.
    stop_phrase = models.CharField(max_length=200, blank=True)
    on_turn_failure = models.CharField(max_length=16, choices=OnTurnFailure.choices, default=OnTurnFailure.CONTINUE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IDLE)
    # The round under way (or the last one, once the room has ended); 0 before the start.
    round = models.PositiveSmallIntegerField(default=0)
    # Asked to pause: the room pauses once its running turns have ended.
    pause_requested = models.BooleanField(default=False)
    # Why it ended: max_rounds, stop_phrase, stopped, turn_failed...
    end_reason = models.CharField(max_length=32, blank=True)
    # The seq of its newest event.
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="room_owner_created_idx")]

    def __str__(self):
        return self.name


class Seat(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="seats")
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="seats")
    position = models.PositiveSmallIntegerField()
    # The seat's role in this room, given to its agent first (after its own system prompt).
    instructions = models.TextField(blank=True)

    class Meta:
        ordering = ["room", "position"]
        constraints = [models.UniqueConstraint(fields=["room", "position"], name="seat_one_per_position")]

    def __str__(self):
        return f"seat {self.position} of {self.room}"


class Turn(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="turns")
    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="turns")
    round = models.PositiveSmallIntegerField()
    execution = models.OneToOneField("runs.AgentExecution", on_delete=models.CASCADE, related_name="room_turn")
    # Set once, by the first hook that sees the turn end (the claim that makes a repeat a no-op).
    ended_at = models.DateTimeField(null=True, blank=True)
    # Stopped by a pause that would not wait: the seat's turn of this round is run again on resume.
    redo = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["room", "round", "seat__position", "created_at"]
        indexes = [models.Index(fields=["room", "round"], name="turn_room_round_idx")]

    def __str__(self):
        return f"round {self.round}, seat {self.seat.position} of {self.room}"


class RoomMessage(models.Model):
    class Role(models.TextChoices):
        USER = "user"  # the room's task
        ASSISTANT = "assistant"  # a seat's answer

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    round = models.PositiveSmallIntegerField()
    seat = models.ForeignKey(Seat, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    execution = models.ForeignKey(
        "runs.AgentExecution", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["room", "id"]


class RoomEvent(models.Model):
    """One entry of the room's log: an event of its own, or one of a turn's events.

    The log numbers both in one sequence (``seq``), the order of the room's
    stream (``rooms.log``). A turn's event is not copied: the entry points at
    it (``execution``, ``execution_seq``), and its ``event_type`` is the
    event's.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    event_type = models.CharField(max_length=32)
    content = models.JSONField(default=dict, blank=True)
    timestamp = models.DateTimeField()
    execution = models.ForeignKey(
        "runs.AgentExecution", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    execution_seq = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="room_event_unique_seq")]
