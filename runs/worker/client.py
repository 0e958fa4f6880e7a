"""The worker's client for the agent server's knowledge API (index, remove documents).

Runs are streamed by ``runs.worker.host``; this covers the plain request/response
calls, made from Celery tasks.
"""

import base64

import httpx
from django.conf import settings


class AgentServerError(Exception):
    """The agent server refused a call; ``message`` is fit for a person."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class AgentServerUnavailable(AgentServerError):
    """The agent server could not be reached or failed: worth a retry."""


def auth_headers():
    token = settings.AGENTS["MCP_TOKEN"]
    return {"Authorization": f"Bearer {token}"} if token else {}


def _call(method, path, **kwargs):
    config = settings.AGENTS
    timeout = httpx.Timeout(config["MCP_READ_TIMEOUT"], connect=config["MCP_CONNECT_TIMEOUT"])
    try:
        response = httpx.request(method, config["MCP_URL"] + path, headers=auth_headers(), timeout=timeout, **kwargs)
    except httpx.ConnectError:
        raise AgentServerUnavailable(f"Agent service unreachable at {config['MCP_URL']}.") from None
    except httpx.TimeoutException:
        raise AgentServerUnavailable("Agent service timed out.") from None
    except httpx.HTTPError as exc:
        raise AgentServerUnavailable(f"Connection to the agent service failed: {type(exc).__name__}.") from None
    if response.status_code >= 500:
        raise AgentServerUnavailable(f"Agent service unavailable ({response.status_code}).")
    if response.status_code >= 400:
        try:
            detail = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            detail = f"status {response.status_code}"
        raise AgentServerError(detail)
    return response


def index_document(document):
    """Send a document to the agent server's index; returns the number of passages."""
    response = _call(
        "PUT",
        f"/knowledge/{document.agent_id}/documents/{document.id}",
        json={
            "filename": document.filename,
            "content_type": document.content_type,
            "content_base64": base64.b64encode(bytes(document.content)).decode("ascii"),
        },
    )
    return response.json()["chunks"]


def remove_document(agent_id, document_id):
    _call("DELETE", f"/knowledge/{agent_id}/documents/{document_id}")
