"""/mcp authenticates like REST: a token that was revoked or has expired is a 401, at once."""

from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from mcp_api.tests.conftest import listed

pytestmark = pytest.mark.django_db(transaction=True)


def refused(api, token):
    response = httpx.post(
        f"{api.url}/mcp", json={}, headers={"Authorization": f"Bearer {token}"}, trust_env=False, timeout=10
    )
    return response.status_code, response.headers.get("www-authenticate"), response.json()


def test_a_token_revoked_over_rest_is_refused_by_mcp(api, mcp_client, rest, owner, agent, token_of):
    token = token_of(owner)
    assert [tool.name for tool in listed(mcp_client(owner))]  # it works until revoked

    with rest(owner) as client:
        assert client.delete("/api/auth/token/").status_code == 204

    assert refused(api, token) == (401, "Bearer", {"detail": "Invalid token.", "code": "not_authenticated"})


def test_an_expired_token_is_refused_by_mcp(api, owner, token_of):
    token = token_of(owner)
    Token.objects.filter(key=token).update(created=timezone.now() - settings.AGENTS["TOKEN_LIFETIME"] - timedelta(1))

    assert refused(api, token)[0] == 401
