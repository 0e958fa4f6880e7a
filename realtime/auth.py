"""Who is on the other end of a socket or a stream: a session (the cookie) or a DRF token."""

from agents.tokens import user_for_key


def user_for_scope(scope):
    """The user of an HTTP request scope: ``Authorization: Token <key>`` or ``x-api-key: <key>`` (what the
    LangGraph clients send), else the session's, else None.

    Call it from a thread (it may read the database); the scope's session user
    comes from channels' AuthMiddlewareStack.
    """
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() == "token":
        return user_for_key(key.strip())
    if b"x-api-key" in headers:
        return user_for_key(headers[b"x-api-key"].decode("latin-1").strip())
    user = scope.get("user")
    if user is not None and user.is_authenticated and user.is_active:
        return user
    return None
