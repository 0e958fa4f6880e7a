"""Django admin: the audit trail of executions and the stop and re-run actions."""

import pytest

from runs import services
from runs.models import AgentExecution

pytestmark = pytest.mark.django_db


def finished_execution(agent):
    execution = AgentExecution.objects.create(agent=agent, input_data={"q": 1})
    services.claim_execution(execution.id)
    services.record_events(execution.id, [services.events.PendingEvent("token", {"content": "hi"}, execution.created_at)])
    services.complete_execution(execution.id, {"text": "hi"})
    return execution


def test_the_execution_list_filters_and_searches(admin_client_for, agent):
    finished_execution(agent)
    for query in ("", "?status__exact=completed", f"?agent__id__exact={agent.id}", f"?q={agent.name}"):
        response = admin_client_for.get(f"/admin/runs/agentexecution/{query}")
        assert response.status_code == 200
        assert "1 agent execution" in response.content.decode() or "1 result" in response.content.decode()


def test_an_execution_page_shows_its_events_in_seq_order(admin_client_for, agent):
    execution = finished_execution(agent)
    page = admin_client_for.get(f"/admin/runs/agentexecution/{execution.id}/change/").content.decode()
    started, token, completed = (page.index(kind) for kind in ("execution_started", ">token<", "execution_completed"))
    assert started < token < completed


def test_admin_actions_stop_and_rerun(admin_client_for, agent):
    pending = AgentExecution.objects.create(agent=agent, input_data={"again": True})
    url = "/admin/runs/agentexecution/"
    admin_client_for.post(url, {"action": "stop_selected", "_selected_action": [pending.id]})
    pending.refresh_from_db()
    assert pending.status == "stopped"
    admin_client_for.post(url, {"action": "rerun_selected", "_selected_action": [pending.id]})
    rerun = AgentExecution.objects.exclude(id=pending.id).get()
    assert (rerun.agent, rerun.input_data, rerun.status) == (agent, {"again": True}, "pending")



def test_staff_who_may_only_view_executions_can_neither_stop_nor_rerun_them(client, django_user_model, agent):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("vera", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_agentexecution"))
    client.force_login(viewer)
    pending = AgentExecution.objects.create(agent=agent)
    url = "/admin/runs/agentexecution/"

    assert client.get(url).status_code == 200
    for action in ("stop_selected", "rerun_selected"):
        client.post(url, {"action": action, "_selected_action": [pending.id]})

    pending.refresh_from_db()
    assert pending.status == "pending"
    assert AgentExecution.objects.count() == 1


def test_a_rerun_past_the_start_rate_is_skipped_with_a_reason(admin_client_for, agent, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rerun"}}
    settings.AGENTS = {**settings.AGENTS, "RATES": {**settings.AGENTS["RATES"], "start": "1/minute"}}
    done = [AgentExecution.objects.create(agent=agent) for _ in range(2)]

    response = admin_client_for.post(
        "/admin/runs/agentexecution/", {"action": "rerun_selected", "_selected_action": [e.id for e in done]},
        follow=True,
    )

    assert AgentExecution.objects.count() == 3
    assert "Skipped 1: Too many executions started" in response.content.decode()
