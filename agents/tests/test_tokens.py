"""API tokens: issued for a password, expiring after their lifetime, revoked by their user or by logout."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agents.tokens import user_for_key
from conftest import PASSWORD
from testsupport.sockets import AgentSocket

pytestmark = pytest.mark.django_db


def get_token(user):
    response = APIClient().post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def with_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def age(key, by):
    Token.objects.filter(key=key).update(created=timezone.now() - by)


def test_a_token_says_when_it_expires_and_is_the_same_until_then(owner, settings):
    first = get_token(owner)

    assert first["expires_at"] is not None
    expires_at = timezone.datetime.fromisoformat(first["expires_at"])
    assert abs(expires_at - (timezone.now() + settings.AGENTS["TOKEN_LIFETIME"])) < timedelta(minutes=1)
    assert get_token(owner)["token"] == first["token"]
    assert with_token(first["token"]).get("/api/agents/").status_code == 200


def test_an_expired_token_is_refused_with_a_401_that_says_so(owner):
    key = get_token(owner)["token"]
    age(key, timedelta(days=31))

    response = with_token(key).get("/api/agents/")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert user_for_key(key) is None


def test_asking_again_after_expiry_issues_a_new_key(owner):
    old = get_token(owner)["token"]
    age(old, timedelta(days=31))

    new = get_token(owner)["token"]

    assert new != old
    assert with_token(new).get("/api/agents/").status_code == 200
    assert with_token(old).get("/api/agents/").status_code == 401


def test_a_lifetime_of_zero_means_tokens_never_expire(owner, settings):
    settings.AGENTS = {**settings.AGENTS, "TOKEN_LIFETIME": None}
    key = get_token(owner)["token"]
    age(key, timedelta(days=3650))

    assert get_token(owner) == {"token": key, "expires_at": None}
    assert with_token(key).get("/api/agents/").status_code == 200


def test_a_user_revokes_their_token(owner):
    key = get_token(owner)["token"]

    assert with_token(key).delete("/api/auth/token/").status_code == 204

    assert with_token(key).get("/api/agents/").status_code == 401
    assert user_for_key(key) is None
    assert get_token(owner)["token"] != key


def test_revoking_needs_credentials(owner):
    get_token(owner)

    assert APIClient().delete("/api/auth/token/").status_code == 401
    assert Token.objects.filter(user=owner).exists()


def test_logging_out_revokes_the_token_too(owner):
    key = get_token(owner)["token"]
    dashboard = APIClient()
    dashboard.force_login(owner)

    assert dashboard.post("/api/auth/logout/").status_code == 204

    assert with_token(key).get("/api/agents/").status_code == 401


def test_another_users_revocation_leaves_mine_alone(owner, outsider):
    mine = get_token(owner)["token"]
    theirs = get_token(outsider)["token"]

    with_token(theirs).delete("/api/auth/token/")

    assert with_token(mine).get("/api/agents/").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("redis_url")
async def test_a_socket_refuses_an_expired_or_revoked_token(owner, agent):
    from asgiref.sync import sync_to_async

    key = (await sync_to_async(get_token)(owner))["token"]
    await sync_to_async(age)(key, timedelta(days=31))

    socket = await AgentSocket.open(agent.id)
    await socket.send({"action": "authenticate", "token": key})

    assert await socket.receive_close_code(timeout=3) == 4001
