"""Outbound webhooks: each user's signing secret, and the outbox of deliveries with their attempts."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_secret():
    return secrets.token_urlsafe(32)


class WebhookSecret(models.Model):
    """The key a user's receivers check each delivery's signature with (``webhooks.services.sign``)."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_secret")
    secret = models.CharField(max_length=100, default=new_secret)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Webhook secret of {self.owner}"


class Delivery(models.Model):
    """One payload to POST to one URL, kept until it is delivered or given up (the outbox row).

    The row is the source of truth; the Celery message that asks a worker to
    send it is only a nudge, sent again by ``redeliver_stalled`` when lost.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERING = "delivering"
        DELIVERED = "delivered"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_deliveries")
    url = models.URLField(max_length=2000)
    payload = models.JSONField()
    # The caller's idempotency key: enqueueing the same key again returns the first delivery.
    key = models.CharField(max_length=200, unique=True)
    execution = models.ForeignKey(
        "runs.AgentExecution", null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        # What the claim and the redelivery sweep look up: due rows of one status.
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self):
        return f"{self.url} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: what the receiver answered, or why nothing was sent."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    response_excerpt = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self):
        return f"Attempt {self.number} of {self.delivery_id}"
