"""DRF views for webhooks: the requesting user's signing secret, read and rotated.

There is no owner in the URL: each user reads only their own secret.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .serializers import WebhookSecretSerializer


class WebhookSecretView(APIView):
    """``/api/webhooks/secret/``."""

    @extend_schema(
        responses={200: WebhookSecretSerializer},
        summary="Your webhook signing secret",
        description="The key your receivers verify X-Webhook-Signature with; made on first read.",
    )
    def get(self, request):
        return Response(WebhookSecretSerializer(services.secret_for(request.user)).data)


class RotateWebhookSecretView(APIView):
    """``/api/webhooks/secret/rotate/``."""

    @extend_schema(
        request=None,
        responses={200: WebhookSecretSerializer},
        summary="Rotate your webhook signing secret",
        description="A new secret; deliveries sent from now on are signed with it, and the old one stops verifying.",
    )
    def post(self, request):
        return Response(WebhookSecretSerializer(services.rotate_secret(request.user)).data)
