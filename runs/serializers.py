"""REST representations of executions and events."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.limits import MAX_INPUT_BYTES, MAX_SEQ, check_json_object, json_value_error
from contract.events import (
    AGENT_EVENT,
    AGENT_EVENT_FIELDS,
    EXECUTION_INTERRUPTED,
    EXECUTION_REQUEUED,
    EXECUTION_RESUMED,
    EXECUTION_STARTED,
    TERMINAL_TYPES,
)

from .events import ThreadCursor
from .models import AgentExecution, Interrupt

# The order of a run: started, its agent events, one terminal type; a run lost
# before its first agent event is requeued and started again; a run waiting for
# a person is interrupted, then resumed.
MESSAGE_TYPES = [
    EXECUTION_STARTED, EXECUTION_REQUEUED, AGENT_EVENT, EXECUTION_INTERRUPTED, EXECUTION_RESUMED,
    *sorted(TERMINAL_TYPES),
]


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
            "room",
            "rerun_of",
            "worker",
            "lease_expires_at",
        ]
        read_only_fields = fields


class RunSerializer(ExecutionSerializer):
    """An execution as the runs view lists it: with its agent's name and runtime."""

    agent_name = serializers.CharField(source="agent.name", read_only=True)
    runtime = serializers.CharField(source="agent.runtime", read_only=True)

    class Meta(ExecutionSerializer.Meta):
        fields = [*ExecutionSerializer.Meta.fields, "agent_name", "runtime"]
        read_only_fields = fields


class RerunSerializer(serializers.Serializer):
    input_data = serializers.JSONField(
        required=False, help_text="The new run's input; by default the input of the run it runs again."
    )

    def validate_input_data(self, value):
        return check_json_object(value, MAX_INPUT_BYTES)


# Bulk actions take at most a page of the runs view.
MAX_BULK_RUNS = 200


class BulkRunsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=MAX_BULK_RUNS)


class BulkResultSerializer(serializers.Serializer):
    results = RunSerializer(many=True, help_text="The stopped runs, or the new runs, in the order asked.")
    not_found = serializers.ListField(child=serializers.UUIDField(), help_text="Ids of no run you may see.")
    errors = serializers.DictField(
        child=serializers.DictField(), help_text="Run id -> {code, message}: those it could not act on."
    )


class ExecutionCreateSerializer(serializers.Serializer):
    input_data = serializers.JSONField(required=False, default=dict)
    on_limit = serializers.ChoiceField(
        choices=["wait", "reject"],
        required=False,
        help_text="When your runs already take every slot (MAX_RUNNING_PER_USER): wait pending for one "
        "(the default), or refuse the start (429 concurrency_limit).",
    )

    def validate(self, attrs):
        # Defaulted here, not with ``default=``: the generated clients would
        # otherwise make every caller send it.
        return {"on_limit": "wait", **attrs}

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
    interrupt = AnyObjectField(
        required=False, help_text="execution_interrupted only: {id, kind (ask_human | confirm_tool), payload}."
    )
    interrupt_id = serializers.UUIDField(required=False, help_text="execution_resumed only.")


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.URLField(allow_null=True)


def after_seq_field():
    """The cursor of every replay (REST, sockets, SSE): a seq, so bounded like one."""
    return serializers.IntegerField(min_value=0, max_value=MAX_SEQ, default=0)


@extend_schema_field(OpenApiTypes.STR)
class ThreadCursorField(serializers.Field):
    """A place in a thread's stream (``runs.events.ThreadCursor``), as its last message's ``cursor`` gave it."""

    default_error_messages = {"invalid": "Not a cursor of a thread's stream: send back a message's `cursor` as it came."}

    def to_internal_value(self, data):
        cursor = None
        if isinstance(data, str) and len(data) <= 80:
            try:
                cursor = ThreadCursor.parse(data)
            except (ValueError, OverflowError):
                pass
        if cursor is None or cursor.seq > MAX_SEQ:
            self.fail("invalid")
        return cursor

    def to_representation(self, value):
        return str(value)


class EventQuerySerializer(serializers.Serializer):
    after_seq = after_seq_field()
    limit = serializers.IntegerField(min_value=1, max_value=5000, default=1000)


class InterruptSerializer(serializers.ModelSerializer):
    """A run's question for a person; ``status`` is ``open`` while it waits for its answer."""

    thread = serializers.UUIDField(source="execution.thread_id", read_only=True, allow_null=True)
    answered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    status = serializers.SerializerMethodField(help_text="open | answered | closed (the run ended unanswered).")
    payload = AnyObjectField(
        read_only=True,
        help_text="ask_human: {question, choices?}; confirm_tool: {tool, arguments}.",
    )
    answer = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = Interrupt
        fields = [
            "id", "execution", "thread", "kind", "payload", "status", "created_at", "expires_at",
            "answer", "answered_by", "answered_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["open", "answered", "closed"]))
    def get_status(self, interrupt) -> str:
        if interrupt.answered_at is not None:
            return "answered"
        return "open" if interrupt.execution.status == AgentExecution.Status.WAITING_INPUT else "closed"


class AnswerSerializer(serializers.Serializer):
    answer = serializers.JSONField(
        help_text='ask_human: the text (one of the choices, if any); confirm_tool: {"action": "approve"}, '
        '{"action": "reject", "reason"?} or {"action": "edit", "arguments": {...}}.'
    )

    def validate_answer(self, value):
        problem = json_value_error(value, MAX_INPUT_BYTES)
        if problem:
            raise serializers.ValidationError(problem)
        return value
