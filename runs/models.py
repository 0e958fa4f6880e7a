"""Executions and their events: the source of truth and the audit trail.

The tables keep the names they had when these models lived in the agents app
(``agents_agentexecution``, ``agents_agentevent``), so moving the code moved no data.
"""

import uuid

from django.conf import settings
from django.db import models

from agents.models import Agent


class AgentExecution(models.Model):
    """One run of an agent.

    Status moves forward: pending -> running -> completed | failed |
    stopped, or pending -> stopped; the one way back is running -> pending
    when a run was lost before its first agent event and is started again
    (``attempt`` counts the runs, bounded). A run of a thread that must wait
    for the thread's active run starts ``queued`` (queued -> pending once
    the thread is free, or queued -> stopped). A run that must wait for a
    person goes running -> waiting_input (an ``Interrupt``), holding no
    worker, and back to running when a worker claims it once answered, or
    waiting_input -> stopped | failed (a stop, the interrupt's expiry).
    Every move is made by ``runs.services`` as a conditional UPDATE
    (recorded as an event from pending on).

    A thread has at most one active (pending, running or waiting) execution:
    a partial unique index says so, so two api processes starting runs of
    one thread at once cannot both succeed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        PENDING = "pending"
        RUNNING = "running"
        WAITING_INPUT = "waiting_input"
        COMPLETED = "completed"
        FAILED = "failed"
        STOPPED = "stopped"

    TERMINAL_STATUSES = (Status.COMPLETED, Status.FAILED, Status.STOPPED)
    # The statuses of the one run a thread may have at a time.
    ACTIVE_STATUSES = (Status.PENDING, Status.RUNNING, Status.WAITING_INPUT)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="executions")
    # The conversation this is a run of; a deleted thread leaves its runs in the audit trail.
    thread = models.ForeignKey(
        "threads.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    # A turn of a room (its ``rooms.Turn`` says which round and seat).
    room = models.ForeignKey(
        "rooms.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    # The execution this one runs again (its input, maybe edited): the audit trail says where it came from.
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    input_data = models.JSONField(default=dict, blank=True)
    output_data = models.JSONField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The seq of the newest stored event: the next event gets last_seq + 1.
    last_seq = models.PositiveIntegerField(default=0)
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    # A running execution belongs to its worker until this moment; the
    # worker's heartbeat pushes it forward and the reaper fails what expired.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True, help_text="host:pid of the worker that claimed it.")
    attempt = models.PositiveSmallIntegerField(default=1, help_text="Which run of this execution this is.")
    # When the task message of a pending execution was last sent: the sweep
    # sends it again when it stays pending too long after (the message may be lost).
    # A waiting execution has one once answered: its task resumes it.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # Set while it waits for one of its owner's MAX_RUNNING_PER_USER slots: its
    # claim was refused, and the end of one of the owner's runs dispatches it.
    parked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # With the id: the runs view's order, so one agent's page is read off the index, not sorted.
            models.Index(fields=["agent", "-created_at", "-id"], name="execution_agent_created_idx"),
            # The runs view's order (newest first) over everything a staff member sees.
            models.Index(fields=["-created_at", "-id"], name="execution_created_idx"),
            # One user's runs of a status (the runs view's filter, and its count of them): without
            # it, the failed runs among a million are counted by reading the million.
            models.Index(fields=["agent", "status", "-created_at", "-id"], name="execution_agent_status_idx"),
            models.Index(fields=["status", "lease_expires_at"], name="execution_lease_idx"),
            models.Index(fields=["status", "created_at"], name="execution_status_created_idx"),
            models.Index(fields=["thread", "created_at"], name="execution_thread_created_idx"),
            models.Index(
                fields=["parked_at"], condition=models.Q(parked_at__isnull=False), name="execution_parked_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["thread"],
                condition=models.Q(status__in=["pending", "running", "waiting_input"]),
                name="execution_one_active_per_thread",
            )
        ]
        db_table = "agents_agentexecution"

    def __str__(self):
        return f"{self.agent} #{str(self.id)[:8]} ({self.status})"

    @property
    def is_terminal(self):
        return self.status in self.TERMINAL_STATUSES

    @property
    def duration(self):
        if self.started_at and self.completed_at:
            return self.completed_at - self.started_at
        return None


class AgentEvent(models.Model):
    """One event of an execution; seq runs 1..N without gaps per execution.

    ``event_type`` is the precise kind: an execution lifecycle type
    (``execution_started``...) or an agent event type (``token``,
    ``progress``...). ``runs.events`` turns a row into its wire message.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (execution, seq) index serves every
    # lookup by execution, and one index less is less work per stored event.
    execution = models.ForeignKey(AgentExecution, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    event_type = models.CharField(max_length=32)
    content = models.JSONField(default=dict)
    timestamp = models.DateTimeField()

    class Meta:
        ordering = ["execution", "seq"]
        constraints = [models.UniqueConstraint(fields=["execution", "seq"], name="event_unique_seq")]
        db_table = "agents_agentevent"

    def __str__(self):
        return f"{self.seq} {self.event_type}"


class Interrupt(models.Model):
    """A run waiting for a person: a question (``ask_human``) or a tool call to confirm (``confirm_tool``).

    ``payload`` is what the person sees; ``state`` is the runtime's
    checkpoint, sent back to the agent server with the answer so the run
    goes on from where it paused (never shown to clients). An interrupt is
    answered at most once (``answered_at``); while its execution waits
    unanswered past ``expires_at``, the sweep fails the run.
    """

    class Kind(models.TextChoices):
        ASK_HUMAN = "ask_human"
        CONFIRM_TOOL = "confirm_tool"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    execution = models.ForeignKey(AgentExecution, on_delete=models.CASCADE, related_name="interrupts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payload = models.JSONField(default=dict)
    state = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answer = models.JSONField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["execution", "created_at"], name="interrupt_execution_idx")]

    def __str__(self):
        return f"{self.kind} #{str(self.id)[:8]}"
