"""Admin for threads: the conversations are part of the audit trail, read-only here."""

from django.contrib import admin

from . import services
from .models import Message, Thread


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["turn", "role", "content", "execution", "created_at"]
    readonly_fields = fields
    ordering = ["turn", "id"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "agent", "multitask_strategy", "updated_at"]
    list_filter = ["multitask_strategy"]
    search_fields = ["title", "owner__username", "agent__name"]
    readonly_fields = ["id", "owner", "agent", "last_turn", "created_at", "updated_at"]
    fields = ["id", "owner", "agent", "title", "metadata", "multitask_strategy", "last_turn", "created_at", "updated_at"]
    list_select_related = ["owner", "agent"]
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False  # a thread is started by its user, over the API

    def delete_model(self, request, thread):
        services.delete_thread(thread)

    def delete_queryset(self, request, queryset):
        for thread in queryset:
            services.delete_thread(thread)
