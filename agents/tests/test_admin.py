"""Django admin for agents."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_agent_admin_lists_agents(admin_client_for, agent):
    assert agent.name in admin_client_for.get("/admin/agents/agent/").content.decode()
