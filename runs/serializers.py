"""REST representations of executions and events."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.limits import MAX_INPUT_BYTES, MAX_SEQ, check_json_object
from contract.events import AGENT_EVENT, AGENT_EVENT_FIELDS, EXECUTION_REQUEUED, EXECUTION_STARTED, TERMINAL_TYPES

from .models import AgentExecution

# The order of a run: started, its agent events, one terminal type; a run lost
# before its first agent event is requeued and started again.
MESSAGE_TYPES = [EXECUTION_STARTED, EXECUTION_REQUEUED, AGENT_EVENT, *sorted(TERMINAL_TYPES)]


class ExecutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentExecution
        fields = [
            "id",
            "agent",
            "thread",
            "status",
            "input_data",
            "output_data",
            "error_message",
            "error_code",
            "created_at",
            "started_at",
            "completed_at",
            "last_seq",
            "attempt",
        ]
        read_only_fields = fields


class ExecutionCreateSerializer(serializers.Serializer):
    input_data = serializers.JSONField(required=False, default=dict)

    def validate_input_data(self, value):
        return check_json_object(value, MAX_INPUT_BYTES)


@extend_schema_field(OpenApiTypes.OBJECT)
class AnyObjectField(serializers.JSONField):
    pass


class EventSerializer(serializers.Serializer):
    """The documented shape of an event (REST list item and WebSocket message)."""

    type = serializers.ChoiceField(choices=[*MESSAGE_TYPES])
    execution_id = serializers.UUIDField()
    seq = serializers.IntegerField(min_value=1)
    timestamp = serializers.DateTimeField()
    event_type = serializers.ChoiceField(
        choices=[*AGENT_EVENT_FIELDS],
        required=False,
        help_text="agent_event only.",
    )
    content = AnyObjectField(required=False, help_text="agent_event only: the event's fields.")
    input_data = AnyObjectField(required=False, help_text="execution_started only.")
    attempt = serializers.IntegerField(
        required=False, min_value=2, help_text="execution_requeued, and execution_started of a run after the first."
    )
    output = AnyObjectField(required=False, help_text="execution_completed only.")
    message = serializers.CharField(
        required=False, help_text="execution_error, execution_stopped and execution_requeued."
    )
    code = serializers.CharField(required=False, help_text="execution_error and execution_requeued.")


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.URLField(allow_null=True)


def after_seq_field():
    """The cursor of every replay (REST, sockets, SSE): a seq, so bounded like one."""
    return serializers.IntegerField(min_value=0, max_value=MAX_SEQ, default=0)


class EventQuerySerializer(serializers.Serializer):
    after_seq = after_seq_field()
    limit = serializers.IntegerField(min_value=1, max_value=5000, default=1000)
