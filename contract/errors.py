"""The error of the platform's own rules, mapped once by each transport.

A service raises ``PlatformError`` (or a subclass) and knows nothing of who
asked; each transport (REST, WebSocket, SSE, admin, MCP, the agent server's
HTTP API) turns it into its own answer in one place, using ``code`` and
``message`` as they are, ``fields`` for per-field messages and ``status`` as
the HTTP status where there is one.
"""

from __future__ import annotations

from typing import Union

FieldErrors = dict[str, Union[str, list, dict]]


class PlatformError(Exception):
    """A request the platform refuses, told in terms its client can act on.

    ``message``  one sentence for people.
    ``code``     a stable machine-readable identifier (``invalid_config``, ...).
    ``fields``   messages keyed by the path of the offending field; may be empty.
    ``status``   HTTP status hint: 400 bad input, 404 not found, 409 conflict...

    Subclasses set ``code`` and ``status`` as class attributes; arguments
    given to the constructor override them.
    """

    code: str = "invalid_request"
    status: int = 400

    def __init__(
        self,
        message: str,
        code: str | None = None,
        fields: FieldErrors | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields: FieldErrors = dict(fields or {})

    def as_dict(self) -> dict:
        """``{"message", "code", "fields"?}``: the body most transports send."""
        body: dict = {"message": self.message, "code": self.code}
        if self.fields:
            body["fields"] = self.fields
        return body
