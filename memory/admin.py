from django.contrib import admin

from .models import MemoryItem


@admin.register(MemoryItem)
class MemoryItemAdmin(admin.ModelAdmin):
    list_display = ["namespace", "key", "owner", "updated_at"]
    list_filter = ["namespace"]
    search_fields = ["key", "owner__username"]
    readonly_fields = ["id", "owner", "written_by_execution", "embedded_text", "created_at", "updated_at"]
    exclude = ["embedding"]
