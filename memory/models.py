"""Long-term memory: what a user's agents keep about the user from one conversation to the next."""

import uuid

from django.conf import settings
from django.db import models

from contract.memory import item_text


class MemoryItem(models.Model):
    """One remembered thing: ``value`` under ``key`` in ``namespace``, the owner's alone.

    ``embedding`` is the agent server's embedding of ``text()`` (float32,
    little-endian), written by a task after each change; ``embedded_text``
    is what it was computed from, so a stale one is never used for search.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memory_items")
    namespace = models.CharField(max_length=100, default="default")
    key = models.CharField(max_length=200)
    value = models.JSONField()
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedded_text = models.TextField(blank=True, default="", editable=False)
    # The run that wrote it, when an agent did (its audit trail); null for REST writes.
    written_by_execution = models.ForeignKey(
        "runs.AgentExecution", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "namespace", "key"], name="memory_one_value_per_key"),
        ]
        indexes = [models.Index(fields=["owner", "-updated_at"], name="memory_owner_recent_idx")]

    def __str__(self):
        return f"{self.namespace}/{self.key}"

    def text(self):
        """What search compares with a query: the key and the value, as words."""
        return item_text(self.key, self.value)
