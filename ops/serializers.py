from rest_framework import serializers

from .stats import WINDOWS


class RunningExecutionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    lease_expires_at = serializers.DateTimeField(allow_null=True)


class WorkerSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="host:pid, as executions' `worker` field names it.")
    host = serializers.CharField()
    pid = serializers.IntegerField(allow_null=True)
    pool = serializers.CharField(allow_blank=True)
    concurrency = serializers.IntegerField(allow_null=True)
    queues = serializers.ListField(child=serializers.CharField())
    started_at = serializers.FloatField(allow_null=True, help_text="Unix time.")
    last_heartbeat = serializers.FloatField(help_text="Unix time.")
    state = serializers.ChoiceField(["online", "lost"], help_text="lost: no heartbeat for one lease.")
    running = RunningExecutionSerializer(many=True)
    active_tasks = serializers.IntegerField(
        allow_null=True, help_text="Tasks Celery reports running on it; null when it did not answer."
    )


class QueueSerializer(serializers.Serializer):
    name = serializers.CharField()
    depth = serializers.IntegerField(allow_null=True, help_text="Messages waiting; null when the broker is away.")


class AgentServerSerializer(serializers.Serializer):
    url = serializers.CharField()
    reachable = serializers.BooleanField()
    latency_ms = serializers.FloatField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    runtimes = serializers.ListField(child=serializers.CharField())
    active_runs = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


class StatsQuerySerializer(serializers.Serializer):
    window = serializers.ChoiceField(list(WINDOWS), default="hour")


class RunCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    stopped = serializers.IntegerField()


class StatsBucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    runs = RunCountsSerializer(help_text="Runs created, and runs ended by status, in the bucket.")
    duration_p50 = serializers.FloatField(allow_null=True, help_text="Seconds; null without runs.")
    duration_p95 = serializers.FloatField(allow_null=True)
    events_per_second = serializers.FloatField(allow_null=True, help_text="Events stored; null without samples.")
    queue_depth = serializers.DictField(
        child=serializers.IntegerField(), allow_null=True, help_text="Deepest sample per queue; null for non-staff."
    )


class StatsSerializer(serializers.Serializer):
    window = serializers.ChoiceField(list(WINDOWS))
    bucket_seconds = serializers.IntegerField()
    buckets = StatsBucketSerializer(many=True)
