"""Admin for rooms: their seats, turns (each a link to its execution) and events, read-only (the audit trail)."""

from django.contrib import admin

from .models import Room, RoomEvent, Seat, Turn


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SeatInline(ReadOnlyInline):
    model = Seat
    fields = ["position", "agent", "instructions"]


class TurnInline(ReadOnlyInline):
    model = Turn
    fields = ["round", "seat", "execution", "ended_at", "redo"]
    ordering = ["round", "seat__position", "id"]


class RoomEventInline(ReadOnlyInline):
    """The room's own events; its turns' are on their executions' pages."""

    model = RoomEvent
    fields = ["seq", "event_type", "content", "timestamp"]
    ordering = ["seq"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(execution=None)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["created_at", "name", "owner", "mode", "status", "round", "max_rounds", "end_reason"]
    list_filter = ["status", "mode"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
    readonly_fields = [field.name for field in Room._meta.fields]
    inlines = [SeatInline, TurnInline, RoomEventInline]

    def has_add_permission(self, request):
        return False
