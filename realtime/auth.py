"""Who is on the other end of a socket or a stream: a session (the cookie) or a DRF token."""

from rest_framework.authtoken.models import Token


def user_for_token(key):
    """The active user of a DRF token, or None."""
    if not isinstance(key, str) or not key:
        return None
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else None


def user_for_scope(scope):
    """The user of an HTTP request scope: ``Authorization: Token <key>``, else the session's, else None.

    Call it from a thread (it may read the database); the scope's session user
    comes from channels' AuthMiddlewareStack.
    """
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() == "token":
        return user_for_token(key.strip())
    user = scope.get("user")
    if user is not None and user.is_authenticated and user.is_active:
        return user
    return None
