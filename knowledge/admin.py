"""Admin for knowledge documents (read-only; deleting goes through the service)."""

from django.contrib import admin

from . import services
from .models import AgentDocument


@admin.register(AgentDocument)
class AgentDocumentAdmin(admin.ModelAdmin):
    list_display = ["filename", "agent", "status", "size", "chunks", "created_at"]
    list_filter = ["status", "content_type"]
    search_fields = ["filename", "agent__name"]
    list_select_related = ["agent"]
    exclude = ["content"]
    readonly_fields = ["id", "agent", "filename", "content_type", "size", "status", "error_message", "chunks", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    # Deleting goes through the service, so the index forgets the document too.
    def delete_model(self, request, document):
        services.delete_document(document)

    def delete_queryset(self, request, queryset):
        for document in queryset:
            services.delete_document(document)
