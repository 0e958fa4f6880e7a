"""Agents: named configurations of a runtime, owned by a user."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .runtimes import agent_config_errors


class Agent(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agents")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    runtime = models.CharField(max_length=64, help_text="Name of an agent server runtime, e.g. synthetic.")
    config = models.JSONField(default=dict, blank=True, help_text="Runtime configuration.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    def clean(self):
        # The one rule for every way in (REST, admin, forms): the runtime
        # exists and the config is valid for it.
        errors = agent_config_errors(self.runtime, self.config)
        if errors:
            raise ValidationError(
                {
                    field: [f"{path}: {message}" for path, messages in problems.items() for message in messages]
                    if isinstance(problems, dict)
                    else problems
                    for field, problems in errors.items()
                }
            )
