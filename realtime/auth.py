"""Who is on the other end of a socket or a stream: a session (the cookie) or a DRF token."""

from channels.auth import AuthMiddleware
from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, InstanceSessionWrapper

from agents.tokens import user_for_key


class SessionReader(BaseMiddleware):
    """channels' ``SessionMiddleware`` for sockets and streams, which read the session and never write it.

    channels' own wraps ``send`` to save a changed session on an HTTP response
    start, and so runs its check on every message sent: once per event per
    client, for a save these never make (a stale session that the user
    lookup flushes is deleted from the store there and then).
    """

    async def __call__(self, scope, receive, send):
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        return await self.inner(wrapper.scope, receive, send)


def SessionUserStack(inner):  # noqa: N802 - named as channels' AuthMiddlewareStack, which it stands for
    """The scope's ``user`` from the session cookie, as ``AuthMiddlewareStack`` gives it."""
    return CookieMiddleware(SessionReader(AuthMiddleware(inner)))


def user_for_scope(scope):
    """The user of an HTTP request scope: ``Authorization: Token <key>`` or ``x-api-key: <key>`` (what the
    LangGraph clients send), else the session's, else None.

    Call it from a thread (it may read the database); the scope's session user
    comes from ``SessionUserStack``.
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
