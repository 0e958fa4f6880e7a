"""Writes to agents that reach beyond one row."""

from django.db import transaction

from knowledge.services import forget_documents


def delete_agent(agent):
    """Delete an agent with its executions and documents; the index forgets its documents."""
    with transaction.atomic():
        forget_documents(agent)
        agent.delete()
