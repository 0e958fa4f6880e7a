"""Request bodies of the LangGraph API, as its clients send them (``langgraph_sdk``, ``@langchain/langgraph-sdk``).

Fields a client may send that the platform has no use for
(``stream_subgraphs``, ``durability``, ``checkpoint``...) are accepted and
kept in the run's ``kwargs``; unknown ones are ignored, as by LangGraph's
own server.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.limits import MAX_CONFIG_BYTES, check_json_object
from memory.models import MemoryItem
from runs.serializers import AnyObjectField
from threads.models import MultitaskStrategy, Thread
from threads.serializers import MAX_MESSAGE_CHARS

from . import schedules
from .stream import STREAM_MODES

MAX_PAGE = 1000
RUN_STATUSES = ["pending", "running", "error", "success", "timeout", "interrupted"]
CANCEL_STATUSES = ["pending", "running", "all"]


class JsonObjectField(AnyObjectField):
    def to_internal_value(self, data):
        return check_json_object(super().to_internal_value(data), MAX_CONFIG_BYTES)


class Page(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    offset = serializers.IntegerField(min_value=0, required=False)


class AssistantSearch(Page):
    metadata = JsonObjectField(required=False, allow_null=True)
    graph_id = serializers.CharField(required=False, allow_null=True, max_length=64)
    name = serializers.CharField(required=False, allow_null=True, max_length=200)


class ThreadCreate(serializers.Serializer):
    thread_id = serializers.UUIDField(required=False, allow_null=True)
    metadata = JsonObjectField(required=False, allow_null=True)
    if_exists = serializers.ChoiceField(choices=["raise", "do_nothing"], required=False, allow_null=True)


class ThreadSearch(Page):
    ids = serializers.ListField(child=serializers.UUIDField(), required=False, allow_null=True, max_length=MAX_PAGE)
    metadata = JsonObjectField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Thread.Status.choices, required=False, allow_null=True)


class ThreadPatch(serializers.Serializer):
    metadata = JsonObjectField(required=True)


class HistoryQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    before = serializers.JSONField(required=False, allow_null=True)


@extend_schema_field({"oneOf": [
    {"type": "string", "enum": list(STREAM_MODES)},
    {"type": "array", "items": {"type": "string", "enum": list(STREAM_MODES)}},
]})
class StreamModeField(serializers.Field):
    """A mode or a list of modes; one of ``STREAM_MODES`` each."""

    default_error_messages = {"invalid": "Must be one of {modes}, or a list of them."}

    def to_internal_value(self, data):
        modes = [data] if isinstance(data, str) else data
        if not isinstance(modes, list) or not all(isinstance(mode, str) and mode in STREAM_MODES for mode in modes):
            self.fail("invalid", modes=", ".join(STREAM_MODES))
        return list(dict.fromkeys(modes))

    def to_representation(self, value):
        return value


class RunCreate(serializers.Serializer):
    assistant_id = serializers.CharField(max_length=100)
    input = serializers.JSONField(required=False, allow_null=True)
    command = JsonObjectField(required=False, allow_null=True)
    metadata = JsonObjectField(required=False, allow_null=True)
    config = JsonObjectField(required=False, allow_null=True)
    context = JsonObjectField(required=False, allow_null=True)
    stream_mode = StreamModeField(required=False, allow_null=True)
    stream_subgraphs = serializers.BooleanField(required=False, allow_null=True)
    stream_resumable = serializers.BooleanField(required=False, allow_null=True)
    multitask_strategy = serializers.ChoiceField(choices=MultitaskStrategy.choices, required=False, allow_null=True)
    on_disconnect = serializers.ChoiceField(choices=["continue", "cancel"], required=False, allow_null=True)
    if_not_exists = serializers.ChoiceField(choices=["create", "reject"], required=False, allow_null=True)
    webhook = serializers.URLField(required=False, allow_null=True, allow_blank=True, max_length=2000)

    def validate(self, data):
        command = data.get("command") or {}
        if "resume" in command:
            data["text"] = None
        elif command:
            raise serializers.ValidationError(
                {"command": ['Only {"resume": ...} is supported: it answers the interrupt the thread waits on.']}
            )
        else:
            data["text"] = user_text(data.get("input"))
        if data.get("webhook"):
            from webhooks.services import check_url

            data["webhook"] = check_url(data["webhook"])
        # What the client asked for, shown back as the run's kwargs.
        data["kwargs"] = {
            key: value for key, value in self.initial_data.items()
            if key in ("input", "command", "config", "context", "stream_mode", "stream_subgraphs",
                       "stream_resumable", "on_disconnect", "webhook", "interrupt_before", "interrupt_after",
                       "on_run_completed")
        }
        data["kwargs"]["stream_mode"] = data.get("stream_mode") or ["values"]
        return data


# What a cron's fires run: the run request's fields, kept as the client sent them.
CRON_RUN_FIELDS = (
    "input", "metadata", "config", "context", "stream_mode", "stream_subgraphs", "stream_resumable",
    "multitask_strategy", "webhook", "interrupt_before", "interrupt_after", "durability",
)
# What becomes of a threadless cron's thread once its run has ended.
ON_RUN_COMPLETED = ["delete", "keep"]
CRON_SORTS = ["cron_id", "assistant_id", "thread_id", "created_at", "updated_at", "next_run_date", "end_time"]


class CronScheduleFields(serializers.Serializer):
    """The checks of a cron's own fields, for its creation and its changes."""

    def validate_schedule(self, value):
        try:
            schedules.fields_of(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        return " ".join(value.split())

    def validate_timezone(self, value):
        try:
            schedules.zone(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        return value or ""


class CronCreate(CronScheduleFields, RunCreate):
    """A run request, and when to make it: each fire is that run (a command cannot be scheduled)."""

    command = None
    on_disconnect = None
    if_not_exists = None
    schedule = serializers.CharField(max_length=200)
    timezone = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    end_time = serializers.DateTimeField(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, allow_null=True)
    on_run_completed = serializers.ChoiceField(choices=ON_RUN_COMPLETED, required=False, allow_null=True)

    def validate(self, data):
        data = super().validate(data)
        data["payload"] = {key: self.initial_data[key] for key in CRON_RUN_FIELDS if key in self.initial_data}
        return data


class CronUpdate(CronScheduleFields):
    """A cron's changes: the fields sent replace its own (``end_time: null`` clears it); the run's are merged."""

    schedule = serializers.CharField(max_length=200, required=False)
    timezone = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    end_time = serializers.DateTimeField(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, allow_null=True)
    on_run_completed = serializers.ChoiceField(choices=ON_RUN_COMPLETED, required=False, allow_null=True)
    input = serializers.JSONField(required=False, allow_null=True)
    metadata = JsonObjectField(required=False, allow_null=True)
    config = JsonObjectField(required=False, allow_null=True)
    context = JsonObjectField(required=False, allow_null=True)
    webhook = serializers.URLField(required=False, allow_null=True, allow_blank=True, max_length=2000)
    stream_mode = StreamModeField(required=False, allow_null=True)

    def validate(self, data):
        data["payload"] = {key: self.initial_data[key] for key in CRON_RUN_FIELDS if key in self.initial_data}
        return data


class CronCount(serializers.Serializer):
    assistant_id = serializers.CharField(max_length=100, required=False, allow_null=True)
    thread_id = serializers.CharField(max_length=100, required=False, allow_null=True)
    metadata = JsonObjectField(required=False, allow_null=True)


class CronSearch(Page, CronCount):
    enabled = serializers.BooleanField(required=False, allow_null=True)
    sort_by = serializers.ChoiceField(choices=CRON_SORTS, required=False, allow_null=True)
    sort_order = serializers.ChoiceField(choices=["asc", "desc"], required=False, allow_null=True)
    select = serializers.ListField(
        child=serializers.ChoiceField(choices=["cron_id", "assistant_id", "thread_id", "on_run_completed", "end_time",
                                               "schedule", "timezone", "created_at", "updated_at", "user_id",
                                               "payload", "next_run_date", "metadata", "enabled"]),
        required=False, allow_null=True,
    )


def user_text(value):
    """The user's message of a run's ``input`` (``{"messages": [...]}`` in LangChain's shapes)."""
    wrong = serializers.ValidationError(
        {"input": ['A thread\'s run takes the user\'s message: {"messages": [{"role": "user", "content": "..."}]}.']}
    )
    if not isinstance(value, dict):
        raise wrong
    messages = value.get("messages")
    if isinstance(messages, (str, dict)):
        messages = [messages]
    if not isinstance(messages, list):
        raise wrong
    texts = []
    for message in messages:
        if isinstance(message, str):
            texts.append(message)
        elif isinstance(message, dict) and (message.get("type") or message.get("role")) in ("human", "user"):
            texts.append(_content_text(message.get("content")))
    text = "\n\n".join(text for text in texts if text)
    if not text.strip():
        raise wrong
    if len(text) > MAX_MESSAGE_CHARS:
        raise serializers.ValidationError({"input": [f"The message must be at most {MAX_MESSAGE_CHARS} characters."]})
    return text


def _content_text(content):
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks: the text ones
        return "".join(block.get("text", "") for block in content if isinstance(block, dict)
                       and block.get("type") == "text" and isinstance(block.get("text"), str))
    return ""


class RunList(Page):
    status = serializers.ChoiceField(choices=RUN_STATUSES, required=False)


class CancelMany(serializers.Serializer):
    thread_id = serializers.UUIDField(required=False, allow_null=True)
    run_ids = serializers.ListField(child=serializers.UUIDField(), required=False, allow_null=True, max_length=MAX_PAGE)
    status = serializers.ChoiceField(choices=CANCEL_STATUSES, required=False, allow_null=True)

    def validate(self, data):
        if not data.get("status") and not (data.get("thread_id") and data.get("run_ids")):
            raise serializers.ValidationError("Give a status, or a thread_id with its run_ids.")
        return data


# A store namespace is a list of labels; the platform's memory keeps them joined by dots, as LangGraph prints them.
MAX_NAMESPACE_CHARS = MemoryItem._meta.get_field("namespace").max_length


class NamespaceField(serializers.ListField):
    child = serializers.RegexField(r"^[^.]+$", max_length=100, error_messages={"invalid": "A label cannot hold a dot."})

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        labels = super().to_internal_value(data)
        if len(".".join(labels)) > MAX_NAMESPACE_CHARS:
            raise serializers.ValidationError(f"At most {MAX_NAMESPACE_CHARS} characters, dots included.")
        return labels


class StoreItemRef(serializers.Serializer):
    namespace = NamespaceField(min_length=1)
    key = serializers.CharField(max_length=200)


class StoreItemPut(StoreItemRef):
    value = JsonObjectField(allow_null=True)
    index = serializers.JSONField(required=False, allow_null=True)
    ttl = serializers.FloatField(required=False, allow_null=True)


class StoreItemQuery(serializers.Serializer):
    namespace = serializers.CharField(max_length=MAX_NAMESPACE_CHARS, help_text="The labels joined by dots.")
    key = serializers.CharField(max_length=200)
    refresh_ttl = serializers.BooleanField(required=False)


class StoreSearch(Page):
    namespace_prefix = NamespaceField(required=False, allow_null=True)
    filter = JsonObjectField(required=False, allow_null=True)
    query = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=2000)
    refresh_ttl = serializers.BooleanField(required=False, allow_null=True)


class StoreNamespaces(Page):
    prefix = NamespaceField(required=False, allow_null=True)
    suffix = NamespaceField(required=False, allow_null=True)
    max_depth = serializers.IntegerField(min_value=1, required=False, allow_null=True)


# --- Responses, as the schema describes them ------------------------------------------------


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class InfoOut(serializers.Serializer):
    version = serializers.CharField()
    flags = serializers.DictField(child=serializers.BooleanField())


class AssistantOut(serializers.Serializer):
    assistant_id = serializers.UUIDField()
    graph_id = serializers.CharField(help_text="The agent's runtime.")
    config = serializers.JSONField()
    context = serializers.JSONField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    metadata = serializers.JSONField()
    version = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)


class InterruptOut(serializers.Serializer):
    id = serializers.CharField()
    value = serializers.JSONField()


class ThreadOut(serializers.Serializer):
    thread_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    state_updated_at = serializers.DateTimeField()
    metadata = serializers.JSONField()
    status = serializers.ChoiceField(choices=Thread.Status.choices)
    config = serializers.JSONField()
    values = serializers.JSONField(help_text='{"messages": [...]}, LangChain message dicts.')
    interrupts = serializers.DictField(child=InterruptOut(many=True), help_text="By run: what it waits on.")


class ThreadStateOut(serializers.Serializer):
    values = serializers.JSONField()
    next = serializers.ListField(child=serializers.CharField())
    tasks = serializers.ListField(child=serializers.JSONField())
    checkpoint = serializers.JSONField(allow_null=True)
    metadata = serializers.JSONField()
    created_at = serializers.DateTimeField(allow_null=True)
    parent_checkpoint = serializers.JSONField(allow_null=True)
    interrupts = InterruptOut(many=True)


class RunOut(serializers.Serializer):
    run_id = serializers.UUIDField()
    thread_id = serializers.UUIDField()
    assistant_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=RUN_STATUSES)
    metadata = serializers.JSONField()
    kwargs = serializers.JSONField()
    multitask_strategy = serializers.ChoiceField(choices=MultitaskStrategy.choices)


class CronOut(serializers.Serializer):
    cron_id = serializers.UUIDField()
    assistant_id = serializers.UUIDField()
    thread_id = serializers.UUIDField(allow_null=True)
    on_run_completed = serializers.ChoiceField(choices=ON_RUN_COMPLETED, allow_null=True)
    end_time = serializers.DateTimeField(allow_null=True)
    schedule = serializers.CharField()
    timezone = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    payload = serializers.JSONField()
    user_id = serializers.CharField()
    next_run_date = serializers.DateTimeField(allow_null=True)
    metadata = serializers.JSONField()
    enabled = serializers.BooleanField()


class StoreItemOut(serializers.Serializer):
    namespace = serializers.ListField(child=serializers.CharField())
    key = serializers.CharField()
    value = serializers.JSONField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    score = serializers.FloatField(required=False, allow_null=True)


class StoreSearchOut(serializers.Serializer):
    items = StoreItemOut(many=True)


class NamespacesOut(serializers.Serializer):
    namespaces = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
