"""The platform's one client of the agent server's plain HTTP calls, and its one taxonomy of errors.

Every call the platform makes to the agent server fails, however it fails,
as one ``AgentServerError`` subclass with a ``message`` fit for a person and
the ``code`` an execution records:

============================  ======================  =================================
error                         code                    when
============================  ======================  =================================
``AgentServerUnavailable``    ``mcp_unavailable``     unreachable, connection lost, 5xx
``AgentServerTimeout``        ``mcp_timeout``         no answer in time (also retried)
``AgentServerUnauthorized``   ``mcp_unauthorized``    the shared token was refused
``AgentServerRejected``       the server's own code   a 4xx with the server's message
``AgentServerProtocolError``  ``mcp_protocol_error``  a malformed or cut-off answer
============================  ======================  =================================

``AgentServerUnavailable`` (and so ``AgentServerTimeout``) is worth a retry.

The knowledge calls live here: the worker indexes documents (Celery tasks)
and the api searches them (its MCP tools, ``mcp_api``). The run stream, which
only a worker opens, is ``runs.worker.client``, built on the same errors.
This module is why the api need not import ``runs.worker``.
"""

import base64
import json

import httpx
from django.conf import settings


class AgentServerError(Exception):
    """A call to the agent server failed; ``message`` is fit for a person, ``code`` is stable."""

    code = "mcp_error"

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class AgentServerUnavailable(AgentServerError):
    """The agent server could not be reached or failed: worth a retry."""

    code = "mcp_unavailable"


class AgentServerTimeout(AgentServerUnavailable):
    code = "mcp_timeout"


class AgentServerUnauthorized(AgentServerError):
    code = "mcp_unauthorized"


class AgentServerRejected(AgentServerError):
    """The agent server refused the request itself (its message and code)."""

    code = "mcp_rejected"


class AgentServerProtocolError(AgentServerError):
    code = "mcp_protocol_error"


def auth_headers():
    token = settings.AGENTS["MCP_TOKEN"]
    return {"Authorization": f"Bearer {token}"} if token else {}


def error_for_response(status, body, rejected="Agent service rejected the run: {}"):
    """The error for an HTTP error answer (``body`` is its text: ``{"error": {"message", "code"}}``).

    ``rejected`` words a refusal around the server's own message.
    """
    try:
        error = json.loads(body)["error"]
        detail, code = error["message"], error.get("code")
    except (ValueError, KeyError, TypeError):
        detail, code = None, None
    if status in (401, 403):
        return AgentServerUnauthorized(f"Agent service refused the worker's credentials ({status}).")
    if status >= 500 or detail is None:
        return AgentServerUnavailable(f"Agent service unavailable ({status}).")
    return AgentServerRejected(rejected.format(detail), code)


def error_for_transport(exc, unreachable=(httpx.ConnectError,), timeouts=(httpx.TimeoutException,)):
    """The error for an exception an HTTP client raised while talking to the agent server.

    The classes are httpx's (the plain calls); the worker's stream reader
    passes aiohttp's.
    """
    if isinstance(exc, unreachable):
        return AgentServerUnavailable(f"Agent service unreachable at {settings.AGENTS['MCP_URL']}.")
    if isinstance(exc, timeouts):
        return AgentServerTimeout("Agent service timed out.")
    return AgentServerUnavailable(f"Connection to the agent service failed: {type(exc).__name__}.")


# --- Knowledge: plain, blocking calls (Celery tasks; the api calls them from a thread) -------------


def _call(method, path, read_timeout=None, **kwargs):
    config = settings.AGENTS
    timeout = httpx.Timeout(read_timeout or config["MCP_READ_TIMEOUT"], connect=config["MCP_CONNECT_TIMEOUT"])
    try:
        response = httpx.request(method, config["MCP_URL"] + path, headers=auth_headers(), timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        raise error_for_transport(exc) from None
    if response.status_code >= 400:
        # The server's message as it is: it is about the document, shown beside it.
        raise error_for_response(response.status_code, response.text, rejected="{}")
    return response


def index_document(document):
    """Send a document to the agent server's index; returns the number of passages.

    It waits up to ``MCP_KNOWLEDGE_TIMEOUT``, longer than the agent server
    takes to index or refuse any document (``MCP_INDEX_TIMEOUT``), so a
    timeout here means the server is in trouble, not that a big document is
    still being read (were it, asking again would join that reading).
    """
    response = _call(
        "PUT",
        f"/knowledge/{document.agent_id}/documents/{document.id}",
        read_timeout=settings.AGENTS["MCP_KNOWLEDGE_TIMEOUT"],
        json={
            "filename": document.filename,
            "content_type": document.content_type,
            "content_base64": base64.b64encode(bytes(document.content)).decode("ascii"),
        },
    )
    return response.json()["chunks"]


def remove_document(agent_id, document_id):
    _call("DELETE", f"/knowledge/{agent_id}/documents/{document_id}")


def search_knowledge(agent_id, query, k):
    """The passages of an agent's documents that best match ``query``, best first.

    Each is ``{"document_id", "filename", "chunk", "text", "score"}`` as the
    agent server's ``POST /knowledge/{agent_id}/search`` answers.
    """
    try:
        return _call("POST", f"/knowledge/{agent_id}/search", json={"query": query, "k": k}).json()["results"]
    except (ValueError, KeyError, TypeError):
        raise AgentServerProtocolError("Agent service sent a malformed search answer.") from None


def embed(texts):
    """Each text's unit vector from the agent server's embedder, as float32 little-endian bytes."""
    body = _call("POST", "/embed", json={"texts": list(texts)}).json()
    try:
        vectors = [base64.b64decode(vector) for vector in body["vectors"]]
    except (ValueError, KeyError, TypeError):
        raise AgentServerProtocolError("Agent service sent a malformed embedding answer.") from None
    if len(vectors) != len(texts):
        raise AgentServerProtocolError("Agent service sent a malformed embedding answer.")
    return vectors
