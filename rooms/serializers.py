"""REST representations of rooms, their seats, turns, messages and events."""

from rest_framework import serializers

from agents.models import Agent
from agents.selectors import agents_visible_to
from config.limits import MAX_SEQ

from .models import MAX_SEATS, Room, RoomEvent, RoomMessage, Seat, Turn

MAX_TASK_CHARS = 20_000


class SeatSerializer(serializers.ModelSerializer):
    # Someone else's agent is not found (400 on the field), as everywhere else.
    agent = serializers.PrimaryKeyRelatedField(queryset=Agent.objects.all())
    agent_name = serializers.CharField(source="agent.name", read_only=True)
    instructions = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TASK_CHARS)

    class Meta:
        model = Seat
        fields = ["position", "agent", "agent_name", "instructions"]
        read_only_fields = ["position"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and not getattr(self.context.get("view"), "swagger_fake_view", False):
            fields["agent"].queryset = agents_visible_to(request.user)
        return fields


class RoomSerializer(serializers.ModelSerializer):
    seats = SeatSerializer(many=True, help_text="The agents taking turns, in order (replaced as a whole).")
    task = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TASK_CHARS)

    class Meta:
        model = Room
        fields = [
            "id", "name", "task", "mode", "max_rounds", "stop_phrase", "on_turn_failure", "seats", "status",
            "round", "pause_requested", "end_reason", "created_at", "updated_at", "started_at", "ended_at",
        ]
        read_only_fields = [
            "id", "status", "round", "pause_requested", "end_reason", "created_at", "updated_at", "started_at",
            "ended_at",
        ]

    def validate_seats(self, seats):
        if not 1 <= len(seats) <= MAX_SEATS:
            raise serializers.ValidationError(f"A room has 1 to {MAX_SEATS} seats.")
        return seats


class StartSerializer(serializers.Serializer):
    task = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TASK_CHARS,
                                 help_text="The task, if not the room's own (it becomes the room's).")


class PauseSerializer(serializers.Serializer):
    pause_now = serializers.BooleanField(required=False, help_text="Stop the running turns now (they are run "
                                         "again on resume) instead of letting them end first.")


class TurnSerializer(serializers.ModelSerializer):
    seat = serializers.IntegerField(source="seat.position", read_only=True)
    agent = serializers.UUIDField(source="seat.agent_id", read_only=True)
    status = serializers.CharField(source="execution.status", read_only=True)
    started_at = serializers.DateTimeField(source="execution.started_at", read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(source="execution.completed_at", read_only=True, allow_null=True)

    class Meta:
        model = Turn
        fields = ["id", "round", "seat", "agent", "execution", "status", "redo", "created_at", "started_at",
                  "completed_at"]
        read_only_fields = fields


class RoomMessageSerializer(serializers.ModelSerializer):
    seat = serializers.IntegerField(source="seat.position", read_only=True, allow_null=True)
    agent_name = serializers.CharField(source="agent.name", read_only=True, allow_null=True)

    class Meta:
        model = RoomMessage
        fields = ["id", "round", "seat", "agent", "agent_name", "execution", "role", "content", "created_at"]
        read_only_fields = fields


class RoomEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoomEvent
        fields = ["seq", "event_type", "content", "timestamp"]
        read_only_fields = fields


class RoomCursorField(serializers.Field):
    """A place in a room's stream: its last message's ``cursor`` (the entry's room_seq), as it came."""

    default_error_messages = {"invalid": "Not a cursor of a room's stream: send back a message's `cursor` as it came."}

    def to_internal_value(self, data):
        if not (isinstance(data, str) and data.isdigit() and data.isascii() and len(data) <= 10) or int(data) > MAX_SEQ:
            self.fail("invalid")
        return int(data)

    def to_representation(self, value):
        return str(value)


class RoomStreamQuery(serializers.Serializer):
    cursor = RoomCursorField(required=False)
