"""What the LangGraph API knows that the platform's own objects do not: its runs' spans and options.

A LangGraph run is a span of one execution's events. The first run of an
execution has the execution's id and starts at its beginning; a run that
resumes an interrupted execution (``command.resume``) is a new run of the
same execution, starting after the event where it paused. A run ends with
its execution, or at the first ``execution_interrupted`` event of its span
(the LangGraph run that reached ``interrupt()``). Executions started
elsewhere (the dashboard, REST) have no row: they read as a first run.

A ``Cron`` starts such runs on a schedule. Beat's own row for it
(django-celery-beat's ``PeriodicTask``) is kept in step by
``langgraph.crons``; each fire is an ordinary run, with the cron and the
fire's message id on its ``Run``.
"""

import uuid

from django.conf import settings
from django.db import models

from threads.models import MultitaskStrategy


class Run(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    execution = models.ForeignKey("runs.AgentExecution", on_delete=models.CASCADE, related_name="langgraph_runs")
    # A deleted thread takes its LangGraph runs with it, as LangGraph's own server does.
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, related_name="langgraph_runs")
    # The run's stream is the execution's events after this seq.
    after_seq = models.PositiveIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    # The request's options as the client sent them (stream modes, config...), shown back in ``kwargs``.
    kwargs = models.JSONField(default=dict, blank=True)
    multitask_strategy = models.CharField(
        max_length=16, choices=MultitaskStrategy.choices, default=MultitaskStrategy.ENQUEUE
    )
    webhook = models.URLField(max_length=2000, blank=True)
    cron = models.ForeignKey("Cron", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    # The id of beat's message that started it: a redelivered fire finds its run and starts none.
    fire = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["thread", "-created_at"], name="lg_run_thread_created_idx")]
        constraints = [
            models.UniqueConstraint(fields=["execution", "after_seq"], name="lg_run_one_per_span"),
        ]

    def __str__(self):
        return f"run {str(self.id)[:8]} of {str(self.execution_id)[:8]}"


class Cron(models.Model):
    """A run started on a schedule: on its thread, or on a new thread each time (a threadless cron)."""

    class OnRunCompleted(models.TextChoices):
        DELETE = "delete"  # a threadless cron's thread is deleted once its run has ended
        KEEP = "keep"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="+")
    # A deleted thread takes its crons with it.
    thread = models.ForeignKey("threads.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Five crontab fields: minute, hour, day of month, month, day of week.
    schedule = models.CharField(max_length=200)
    # IANA name; empty is UTC.
    timezone = models.CharField(max_length=64, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    on_run_completed = models.CharField(max_length=8, choices=OnRunCompleted.choices, default=OnRunCompleted.DELETE)
    # The run request each fire makes (input, config, metadata, webhook...), as the client sent it.
    payload = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="lg_cron_owner_created_idx")]

    def __str__(self):
        return f"cron {str(self.id)[:8]} ({self.schedule})"
