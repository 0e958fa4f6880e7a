"""API tokens: one per user, issued for a password, with a lifetime, revoked at will.

DRF's ``Token`` holds the key; its ``created`` time is when it was issued, so
a token is expired once ``AGENTS["TOKEN_LIFETIME"]`` has passed since then
(``None``: tokens never expire). Asking for a token again returns the live
one, or issues a fresh key once it expired. Revoking (``DELETE
/api/auth/token/``, or logging out) deletes it: every client holding the key
is locked out at once, REST, sockets, SSE and MCP alike, since all of them
authenticate through ``user_for_key`` or ``ExpiringTokenAuthentication``.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

EXPIRED = "This token has expired: get a new one from POST /api/auth/token/."


def expires_at(token: Token) -> datetime | None:
    lifetime = settings.AGENTS["TOKEN_LIFETIME"]
    return None if lifetime is None else token.created + lifetime


def is_expired(token: Token) -> bool:
    ends = expires_at(token)
    return ends is not None and timezone.now() >= ends


def issue_token(user) -> Token:
    """The user's live token, or a new one when there is none or it expired."""
    with transaction.atomic():
        token, created = Token.objects.select_for_update().get_or_create(user=user)
        if not created and is_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
    return token


def revoke_tokens(user) -> None:
    Token.objects.filter(user=user).delete()


def user_for_key(key):
    """The active user of a live token key, or None (unknown, expired or inactive)."""
    if not isinstance(key, str) or not key:
        return None
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or is_expired(token) or not token.user.is_active:
        return None
    return token.user


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, refusing expired keys with a 401 that says so."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if is_expired(token):
            raise AuthenticationFailed(EXPIRED)
        return user, token


class ApiKeyAuthentication(ExpiringTokenAuthentication):
    """The same token in ``x-api-key: <key>``: the header the LangGraph clients send their key in."""

    def authenticate(self, request):
        key = request.META.get("HTTP_X_API_KEY")
        if not key:
            return None
        return self.authenticate_credentials(key.strip())
