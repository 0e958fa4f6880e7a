"""Django admin for agents."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_agent_admin_lists_agents(admin_client_for, agent):
    assert agent.name in admin_client_for.get("/admin/agents/agent/").content.decode()


def test_the_admin_cannot_save_an_agent_with_an_unknown_runtime_or_a_bad_config(admin_client_for, owner):
    from agents.models import Agent

    for runtime, config, message in (
        ("nonsense", "{}", "Unknown runtime"),
        ("synthetic", '{"steps": -1}', "steps: Must be at least 0."),
        # Nested this deep, every page that later shows the config would crash.
        ("synthetic", '{"a": ' * 900 + "1" + "}" * 900, "ested deeper than 32 levels."),
        ("synthetic", '{"a": "%s"}' % ("x" * 70_000), "Must be at most 66 kB as JSON"),
    ):
        response = admin_client_for.post(
            "/admin/agents/agent/add/",
            {"owner": owner.id, "name": "Bad", "status": "active", "runtime": runtime, "config": config},
        )
        assert response.status_code == 200  # the form again, with its errors
        assert message in response.content.decode()
    assert not Agent.objects.filter(name="Bad").exists()
