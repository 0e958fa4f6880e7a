"""Conversations: a thread of messages with one agent, and the runs that answer them."""

import uuid

from django.conf import settings
from django.db import models

from agents.models import Agent
from config.models import CountedModel


class MultitaskStrategy(models.TextChoices):
    """What a new message does while the thread's run is still going."""

    REJECT = "reject"  # refused (409)
    ENQUEUE = "enqueue"  # runs after the ones before it, in order
    INTERRUPT = "interrupt"  # the unfinished runs are stopped (and kept); the new one runs next
    ROLLBACK = "rollback"  # the unfinished runs are stopped and deleted with their messages


class Thread(CountedModel):
    """A conversation of a user with one agent.

    Its status is read from its runs, never stored (``threads.selectors``):
    ``busy`` while a run is pending or running, ``error`` when the last run
    failed, else ``idle``. Stored, every move of a run would also have to
    lock the thread's row, in an order that deadlocks with a message being
    posted to it.
    """

    class Status(models.TextChoices):
        IDLE = "idle"
        BUSY = "busy"
        INTERRUPTED = "interrupted"
        ERROR = "error"

    counters = ("last_turn",)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="threads")
    # The agent its runs are with; null until the first run of a thread created
    # without one (the LangGraph API creates threads first, and names the agent per run).
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    multitask_strategy = models.CharField(
        max_length=16, choices=MultitaskStrategy.choices, default=MultitaskStrategy.REJECT
    )
    # The turn of the newest user message: each message gets the next one.
    last_turn = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["owner", "-updated_at"], name="thread_owner_updated_idx")]

    def __str__(self):
        return self.title or f"Thread {str(self.id)[:8]}"


class Message(models.Model):
    """One message of a thread: the user's, the assistant's reply, or a tool call and its result.

    A user message and everything its run adds share a ``turn``; a thread's
    messages read in (turn, id) order, so a reply stored after later
    messages were queued still comes right after its question.
    """

    class Role(models.TextChoices):
        USER = "user"
        ASSISTANT = "assistant"
        TOOL = "tool"

    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    # The run that the message started (user) or came from (assistant, tool).
    execution = models.ForeignKey(
        "runs.AgentExecution", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    turn = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    # A tool message's call (name, arguments, result); an answer's citations.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["thread", "turn", "id"]
        indexes = [models.Index(fields=["thread", "turn", "id"], name="message_thread_order_idx")]

    def __str__(self):
        return f"{self.role}: {self.content[:60]}"
