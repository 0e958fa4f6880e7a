"""Reads that carry rules: who may see which agents."""

from django.db.models import OuterRef, Subquery

from runs.models import AgentExecution

from .models import Agent


def agents_visible_to(user):
    """A user sees their own agents; staff see everyone's."""
    agents = Agent.objects.all()
    if not user.is_staff:
        agents = agents.filter(owner=user)
    return agents


def agents_with_latest_execution(user):
    latest = AgentExecution.objects.filter(agent=OuterRef("pk")).order_by("-created_at")
    return agents_visible_to(user).annotate(
        latest_execution_id=Subquery(latest.values("id")[:1]),
        latest_execution_status=Subquery(latest.values("status")[:1]),
        latest_execution_created_at=Subquery(latest.values("created_at")[:1]),
    )
