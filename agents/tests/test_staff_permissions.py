"""Staff read everyone's objects; changing another user's takes Django's model permission.

Sam (staff) has no model permissions at first; Pat (staff) is given the ones
a support role needs; Ada is a superuser. Olivia owns the agent.
"""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import AgentDocument
from runs.models import AgentExecution
from testsupport.sockets import AgentSocket

pytestmark = pytest.mark.django_db

PERMISSIONS = ["change_agent", "delete_agent", "add_agentexecution", "change_agentexecution",
               "add_agentdocument", "delete_agentdocument"]


@pytest.fixture
def support(django_user_model):
    pat = django_user_model.objects.create_user("pat", password="x", is_staff=True)
    pat.user_permissions.add(*Permission.objects.filter(codename__in=PERMISSIONS))
    return pat


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("ada", password="x")


def document_of(agent):
    return AgentDocument.objects.create(agent=agent, filename="a.txt", content_type="text/plain", size=1, content=b"a")


def changes(client, agent):
    """Every change to Olivia's things, as (name, status code)."""
    execution = AgentExecution.objects.create(agent=agent)
    document = document_of(agent)
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    return {
        "edit": client.patch(f"/api/agents/{agent.id}/", {"name": "Renamed"}, format="json").status_code,
        "start": client.post(f"/api/agents/{agent.id}/executions/", {}, format="json").status_code,
        "stop": client.post(f"/api/executions/{execution.id}/stop/").status_code,
        "upload": client.post(f"/api/agents/{agent.id}/documents/", {"file": upload}, format="multipart").status_code,
        "delete document": client.delete(f"/api/agents/{agent.id}/documents/{document.id}/").status_code,
        "delete": client.delete(f"/api/agents/{agent.id}/").status_code,
    }


def test_staff_without_permissions_read_everything_but_change_nothing(api_as, staff, agent):
    client = api_as(staff)
    execution = AgentExecution.objects.create(agent=agent)

    assert client.get(f"/api/agents/{agent.id}/").status_code == 200
    assert client.get(f"/api/executions/{execution.id}/").status_code == 200
    assert client.get(f"/api/agents/{agent.id}/documents/").status_code == 200
    assert set(changes(client, agent).values()) == {403}
    agent.refresh_from_db()
    execution.refresh_from_db()
    assert (agent.name, execution.status) == ("Synthetic", "pending")
    assert AgentExecution.objects.count() == 2  # the one above and the one changes() made: nothing started


def test_a_refusal_says_which_permission_is_missing(api_as, staff, agent):
    response = api_as(staff).delete(f"/api/agents/{agent.id}/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "agents.delete_agent" in response.json()["detail"]


def test_staff_with_the_permissions_may_change_others_things(api_as, support, agent):
    assert changes(api_as(support), agent) == {
        "edit": 200, "start": 201, "stop": 202, "upload": 201, "delete document": 204, "delete": 204,
    }


def test_a_superuser_may_change_anything(api_as, superuser, agent):
    assert set(changes(api_as(superuser), agent).values()) <= {200, 201, 202, 204}


def test_owners_need_no_permission_for_their_own_things(api_as, owner, agent):
    assert set(changes(api_as(owner), agent).values()) <= {200, 201, 202, 204}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_url")
async def test_the_socket_follows_the_same_rule(staff, agent):
    execution = await sync_to_async(AgentExecution.objects.create)(agent=agent)
    socket = await AgentSocket.open(agent.id, user=staff)

    await socket.send({"action": "start_agent", "input_data": {}})
    assert (await socket.receive())["code"] == "permission_denied"
    await socket.send({"action": "stop_agent", "execution_id": str(execution.id)})
    assert (await socket.receive())["code"] == "permission_denied"
    await socket.send({"action": "subscribe", "execution_id": str(execution.id)})
    await socket.send({"action": "ping"})
    assert await socket.receive() == {"type": "pong"}  # no error: watching is reading
    await socket.close()
    await sync_to_async(execution.refresh_from_db)()
    assert execution.status == "pending"
    assert await sync_to_async(AgentExecution.objects.count)() == 1
