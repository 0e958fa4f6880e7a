"""REST representation of a user's webhook secret."""

from rest_framework import serializers

from .models import WebhookSecret


class WebhookSecretSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The HMAC-SHA256 key of X-Webhook-Signature (docs/webhooks.md)."
    )

    class Meta:
        model = WebhookSecret
        fields = ["secret", "created_at", "rotated_at"]
        read_only_fields = fields
