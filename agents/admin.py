"""Admin for agents."""

from django.contrib import admin

from config.limits import ADMIN_FORMFIELD_OVERRIDES

from . import services
from .models import Agent


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "runtime", "status", "created_at"]
    list_filter = ["status", "runtime"]
    search_fields = ["name", "description", "owner__username"]
    readonly_fields = ["id", "created_at", "updated_at"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    formfield_overrides = ADMIN_FORMFIELD_OVERRIDES

    def delete_model(self, request, agent):
        services.delete_agent(agent)

    def delete_queryset(self, request, queryset):
        for agent in queryset:
            services.delete_agent(agent)
