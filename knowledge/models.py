"""Knowledge documents of agents (table ``agents_agentdocument``, from when they lived in the agents app)."""

import uuid

from django.db import models

from agents.models import Agent


class AgentDocument(models.Model):
    """A knowledge document of an agent. The file is kept here (the source of
    truth); the agent server holds the search index built from it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        INDEXING = "indexing"
        READY = "ready"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="documents")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error_message = models.TextField(blank=True)
    chunks = models.PositiveIntegerField(default=0, help_text="Passages indexed from this document.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agent", "-created_at"])]
        db_table = "agents_agentdocument"

    def __str__(self):
        return self.filename
