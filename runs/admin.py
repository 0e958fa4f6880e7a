"""Admin for executions with their events: the audit trail."""

from django.contrib import admin, messages
from django.db.models import DurationField, ExpressionWrapper, F
from django.forms.models import BaseInlineFormSet

from agents import permissions
from contract.errors import PlatformError

from . import services
from .models import AgentEvent, AgentExecution, Interrupt

# An execution can hold tens of thousands of events; the page shows the
# first ones and the API serves the rest.
INLINE_EVENT_LIMIT = 500


class FirstEventsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        return super().get_queryset().order_by("seq")[:INLINE_EVENT_LIMIT]


class EventInline(admin.TabularInline):
    model = AgentEvent
    formset = FirstEventsFormSet
    fields = ["seq", "event_type", "content", "timestamp"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = f"Events (first {INLINE_EVENT_LIMIT}, in seq order)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InterruptInline(admin.TabularInline):
    """The questions the run asked, and who answered them when: part of the audit trail."""

    model = Interrupt
    fields = ["id", "kind", "payload", "created_at", "expires_at", "answer", "answered_by", "answered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AgentExecution)
class AgentExecutionAdmin(admin.ModelAdmin):
    list_display = ["short_id", "agent", "owner", "status", "created_at", "duration_display", "error_code"]
    list_filter = ["status", "agent", ("agent__owner", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["id", "agent__name", "agent__owner__username", "error_message"]
    list_select_related = ["agent", "agent__owner"]
    date_hierarchy = "created_at"
    inlines = [InterruptInline, EventInline]
    actions = ["stop_selected", "rerun_selected"]
    readonly_fields = [
        "id",
        "agent",
        "thread",
        "status",
        "attempt",
        "input_data",
        "output_data",
        "error_message",
        "error_code",
        "created_at",
        "started_at",
        "completed_at",
        "duration_display",
        "last_seq",
        "stop_requested_at",
        "lease_expires_at",
        "worker",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                run_time=ExpressionWrapper(F("completed_at") - F("started_at"), output_field=DurationField())
            )
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description="id")
    def short_id(self, execution):
        return str(execution.id)[:8]

    @admin.display(description="owner", ordering="agent__owner__username")
    def owner(self, execution):
        return execution.agent.owner

    @admin.display(description="duration", ordering="run_time")
    def duration_display(self, execution):
        duration = execution.duration
        return f"{duration.total_seconds():.2f} s" if duration is not None else "-"

    # Actions follow Django's permissions like the API does (agents/permissions.py):
    # seeing executions is not enough to stop or start them.
    @admin.action(description="Stop selected executions", permissions=["change"])
    def stop_selected(self, request, queryset):
        for execution in queryset:
            services.stop_execution(execution)
        self.message_user(request, f"Stop requested for {queryset.count()} execution(s).", messages.SUCCESS)

    @admin.action(description="Re-run selected executions (same agent and input)", permissions=["rerun"])
    def rerun_selected(self, request, queryset):
        started, refusals = 0, {}
        for execution in queryset:
            try:
                services.start_execution(execution.agent, execution.input_data)
                started += 1
            except PlatformError as refusal:  # an inactive agent, a start rate reached
                refusals[refusal.message] = refusals.get(refusal.message, 0) + 1
        self.message_user(request, f"Started {started} new execution(s).", messages.SUCCESS)
        for message, count in refusals.items():
            self.message_user(request, f"Skipped {count}: {message}", messages.WARNING)

    def has_rerun_permission(self, request):
        return request.user.has_perm(permissions.START_EXECUTION)
