"""REST representations of agents, runtimes and users. Writes with side effects go through services."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from runs.models import AgentExecution
from runs.serializers import AnyObjectField

from .models import Agent
from .runtimes import agent_config_errors


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

    def validate_config(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value

    def validate(self, attrs):
        # The model's own rule (Agent.clean), reported in DRF's shape.
        runtime = attrs.get("runtime", getattr(self.instance, "runtime", None))
        config = attrs.get("config", getattr(self.instance, "config", {}))
        errors = agent_config_errors(runtime, config)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RuntimeSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    config_schema = AnyObjectField(help_text="JSON schema of the agent's config.")
    input_schema = AnyObjectField(help_text="JSON schema of an execution's input_data.")
    input_example = AnyObjectField(help_text="An input_data this runtime runs with.")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the token stops working; null: never."
    )


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
