"""Admin for webhooks: where deliveries and their attempts are seen (read-only: the outbox is an audit trail)."""

from django.contrib import admin

from . import services
from .models import Delivery, DeliveryAttempt, WebhookSecret


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "owner", "url", "status", "attempts", "next_attempt_at"]
    list_filter = ["status"]
    search_fields = ["url", "key"]
    list_select_related = ["owner"]
    fields = [
        "id", "owner", "url", "key", "execution", "status", "attempts", "next_attempt_at", "last_error",
        "delivered_at", "created_at", "updated_at", "payload",
    ]
    readonly_fields = fields
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookSecret)
class WebhookSecretAdmin(admin.ModelAdmin):
    # The secret itself is never shown: staff rotate a leaked one, they do not read it.
    list_display = ["owner", "created_at", "rotated_at"]
    search_fields = ["owner__username"]
    fields = ["owner", "created_at", "rotated_at"]
    readonly_fields = fields
    actions = ["rotate"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Rotate the selected secrets")
    def rotate(self, request, queryset):
        for secret in queryset.select_related("owner"):
            services.rotate_secret(secret.owner)
        self.message_user(request, f"Rotated {queryset.count()} secret(s).")
