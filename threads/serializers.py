"""REST representations of threads and their messages."""

from rest_framework import serializers

from agents.models import Agent
from agents.selectors import agents_visible_to
from config.limits import MAX_CONFIG_BYTES, check_json_object
from runs.serializers import AnyObjectField, ExecutionSerializer

from .models import Message, MultitaskStrategy, Thread

MAX_MESSAGE_CHARS = 100_000


class ThreadSerializer(serializers.ModelSerializer):
    # Read from the thread's runs (threads.selectors.with_status).
    status = serializers.ChoiceField(choices=Thread.Status.choices, read_only=True)
    metadata = AnyObjectField(required=False, default=dict)
    # Required to create one here; null on a thread the LangGraph API created, until its first run.
    agent = serializers.PrimaryKeyRelatedField(queryset=Agent.objects.all(), allow_null=True)

    class Meta:
        model = Thread
        fields = ["id", "agent", "title", "metadata", "status", "multitask_strategy", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and not getattr(self.context.get("view"), "swagger_fake_view", False):
            # Someone else's agent is not found, as everywhere else.
            fields["agent"].queryset = agents_visible_to(request.user)
        if self.instance is not None:
            fields["agent"].read_only = True  # a thread's conversation is with one agent
        return fields

    def validate_agent(self, value):
        if value is None:
            raise serializers.ValidationError("A thread is with an agent: name one.")
        return value

    def validate_metadata(self, value):
        return check_json_object(value, MAX_CONFIG_BYTES)


class MessageSerializer(serializers.ModelSerializer):
    data = AnyObjectField(read_only=True, help_text="A tool message's call {tool, arguments, result}; "
                          "an answer's other result fields (citations, model...).")

    class Meta:
        model = Message
        fields = ["id", "thread", "execution", "turn", "role", "content", "data", "created_at"]
        read_only_fields = fields


class MessageCreateSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=False)
    multitask_strategy = serializers.ChoiceField(
        choices=MultitaskStrategy.choices,
        required=False,
        help_text="What to do while the thread's earlier runs are unfinished; the thread's own strategy by default.",
    )

    def validate_content(self, value):
        if not value.strip():
            raise serializers.ValidationError("Must not be blank.")
        return value


class PostedMessageSerializer(serializers.Serializer):
    message = MessageSerializer()
    execution = ExecutionSerializer()


