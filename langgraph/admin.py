"""Admin for the LangGraph API's crons and the runs they made (read-only: changes go through the API,
which keeps beat's entry of each cron in step with it)."""

from django.contrib import admin

from . import crons
from .models import Cron, Run


class CronRunInline(admin.TabularInline):
    model = Run
    fk_name = "cron"
    fields = ["id", "created_at", "thread", "execution", "fire"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Cron)
class CronAdmin(admin.ModelAdmin):
    list_display = ["created_at", "owner", "agent", "thread", "schedule", "timezone", "enabled", "next_run"]
    list_filter = ["enabled"]
    list_select_related = ["owner", "agent", "thread"]
    search_fields = ["id", "schedule", "owner__username"]
    fields = [
        "id", "owner", "agent", "thread", "schedule", "timezone", "end_time", "enabled", "on_run_completed",
        "next_run", "periodic_task", "payload", "metadata", "created_at", "updated_at",
    ]
    readonly_fields = fields
    inlines = [CronRunInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="next run")
    def next_run(self, cron):
        return crons.next_run_date(cron)
