from django.urls import path

from . import api

urlpatterns = [
    path("secret/", api.WebhookSecretView.as_view(), name="webhook-secret"),
    path("secret/rotate/", api.RotateWebhookSecretView.as_view(), name="webhook-secret-rotate"),
]
