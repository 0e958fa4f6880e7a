"""REST representations. Writes that have side effects go through agents.services."""

from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Agent, AgentDocument, AgentExecution
from .runtimes import InvalidConfig, check_agent_config, runtime_names


class LatestExecutionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=AgentExecution.Status.choices)
    created_at = serializers.DateTimeField()


class AgentSerializer(serializers.ModelSerializer):
    latest_execution = serializers.SerializerMethodField()

    class Meta:
        model = Agent
        fields = [
            "id",
            "name",
            "description",
            "status",
            "runtime",
            "config",
            "created_at",
            "updated_at",
            "latest_execution",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    @extend_schema_field(LatestExecutionSerializer(allow_null=True))
    def get_latest_execution(self, agent):
        # Annotated by selectors.agents_with_latest_execution; absent on a fresh save.
        execution_id = getattr(agent, "latest_execution_id", None)
        if execution_id is None:
            return None
        return LatestExecutionSerializer(
            {
                "id": execution_id,
                "status": agent.latest_execution_status,
                "created_at": agent.latest_execution_created_at,
            }
        ).data

    def validate_runtime(self, value):
        if value not in runtime_names():
            raise serializers.ValidationError(f"Unknown runtime. Choose one of: {', '.join(runtime_names())}.")
        return value

    def validate_config(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value

    def validate(self, attrs):
        runtime = attrs.get("runtime", getattr(self.instance, "runtime", None))
        config = attrs.get("config", getattr(self.instance, "config", {}))
        try:
            check_agent_config(runtime, config)
        except InvalidConfig as error:
            raise serializers.ValidationError(error.errors) from None
        return attrs


class ExecutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentExecution
        fields = [
            "id",
            "agent",
            "status",
            "input_data",
            "output_data",
            "error_message",
            "error_code",
            "created_at",
            "started_at",
            "completed_at",
            "last_seq",
        ]
        read_only_fields = fields


class ExecutionCreateSerializer(serializers.Serializer):
    input_data = serializers.JSONField(required=False, default=dict)

    def validate_input_data(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


@extend_schema_field(OpenApiTypes.OBJECT)
class AnyObjectField(serializers.JSONField):
    pass


class EventSerializer(serializers.Serializer):
    """The documented shape of an event (REST list item and WebSocket message)."""

    type = serializers.ChoiceField(
        choices=["execution_started", "agent_event", "execution_completed", "execution_error", "execution_stopped"]
    )
    execution_id = serializers.UUIDField()
    seq = serializers.IntegerField(min_value=1)
    timestamp = serializers.DateTimeField()
    event_type = serializers.ChoiceField(
        choices=["progress", "message", "step", "token", "tool_call", "tool_result"],
        required=False,
        help_text="agent_event only.",
    )
    content = AnyObjectField(required=False, help_text="agent_event only: the event's fields.")
    input_data = AnyObjectField(required=False, help_text="execution_started only.")
    output = AnyObjectField(required=False, help_text="execution_completed only.")
    message = serializers.CharField(required=False, help_text="execution_error and execution_stopped.")
    code = serializers.CharField(required=False, help_text="execution_error only.")


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class EventQuerySerializer(serializers.Serializer):
    after_seq = serializers.IntegerField(min_value=0, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=5000, default=1000)


class RuntimeSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    config_schema = AnyObjectField()


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentDocument
        fields = ["id", "agent", "filename", "content_type", "size", "status", "error_message", "chunks", "created_at", "updated_at"]
        read_only_fields = fields


# What the agent server can read, by file extension (browsers disagree on
# the content type of a .md file, so the extension decides).
DOCUMENT_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown", ".pdf": "application/pdf"}


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()

    def validate_file(self, upload):
        from django.conf import settings

        if _suffix(upload.name) not in DOCUMENT_TYPES:
            raise serializers.ValidationError("Upload a text (.txt), Markdown (.md) or PDF (.pdf) file.")
        limit = settings.AGENTS["DOCUMENT_MAX_BYTES"]
        if upload.size > limit:
            raise serializers.ValidationError(f"The file is larger than {limit // 1_000_000} MB.")
        if upload.size == 0:
            raise serializers.ValidationError("The file is empty.")
        return upload

    def document_fields(self):
        upload = self.validated_data["file"]
        return {"filename": upload.name, "content_type": DOCUMENT_TYPES[_suffix(upload.name)], "content": upload.read()}


def _suffix(filename):
    return "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    is_staff = serializers.BooleanField(read_only=True)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs):
        user = authenticate(self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError("Unable to log in with the given username and password.")
        attrs["user"] = user
        return attrs
