"""The LangGraph-compatible API's own OpenAPI document: ``/lg/openapi.json`` (docs/langgraph-openapi.yaml).

Its paths are relative to ``/lg`` (the clients' base URL). The long
requests are consumers, not DRF views (``langgraph.routing``), so they are
described here, with the request body the views' ``RunCreate`` component
gives. The platform's own document leaves ``/lg/`` out (``exclude_langgraph``).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView

SETTINGS = {
    "TITLE": "Agent platform: LangGraph-compatible API",
    "DESCRIPTION": "Assistants (agents), threads, runs, their resumable event stream, and the store (long-term "
    "memory), as the LangGraph SDKs call them. Authenticate with `x-api-key: <token>` (or "
    "`Authorization: Token <token>`). Errors are `{\"detail\", \"code\"}`; bad input is a 422.",
    "SERVERS": [{"url": "/lg"}],
    "PREPROCESSING_HOOKS": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "langgraph.schema.add_long_requests",
    ],
    "APPEND_COMPONENTS": {},
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "langgraph.serializers.RUN_STATUSES",
        "CancelStatusEnum": "langgraph.serializers.CANCEL_STATUSES",
        "ThreadStatusEnum": "threads.models.Thread.Status",
    },
}


def exclude_langgraph(endpoints):
    """The platform's document: every endpoint but the LangGraph API's."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/lg/")]


def _run_path(summary, description, response, *, with_run=False, method="post", body=True, parameters=()):
    operation = {
        "operationId": summary.lower().replace(" ", "_").replace("'", ""),
        "summary": summary,
        "description": description,
        "tags": ["LangGraph"],
        "security": [{"ApiKey": []}, {"tokenAuth": []}],
        "parameters": [
            {"name": "thread_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
            *([{"name": "run_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}]
              if with_run else []),
            *parameters,
        ],
        "responses": {
            **response,
            "404": _error("No such thread or run (or not yours)."),
            "409": _error("The thread is busy and the strategy is reject, or there is nothing to resume."),
            "422": _error("Invalid request."),
        },
    }
    if body:
        operation["requestBody"] = {
            "required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunCreate"}}},
        }
    return {method: operation}


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}


EVENT_STREAM = {
    "200": {
        "description": "Server-sent events: `metadata` first, then per stream mode `values`, `updates`, "
        "`messages` (for messages-tuple), `custom`, `tools`, `debug`, and `error`; each frame's `id` is the event's "
        "seq (`n`, then `n.1`...). `Content-Location` names the run, `Location` where to rejoin its stream. "
        "It closes once the run is over (its end, or the interrupt that pauses it).",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}
FINAL_VALUES = {
    "200": {
        "description": "The thread's values once the run is over (with `__interrupt__` when it paused), "
        "`{\"__error__\": {error, message}}` when it failed, null when it was rolled back. Newlines are sent "
        "while it runs.",
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True,
                                                    "nullable": True}}},
    }
}
STREAM_QUERY = [
    {"name": "stream_mode", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}, "explode": True,
     "description": "The modes to stream; none: values, updates, messages-tuple, custom, tools."},
    {"name": "cancel_on_disconnect", "in": "query", "required": False, "schema": {"type": "boolean"}},
    {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "The last frame id the client has: the stream resumes after it (-1: from the start)."},
]
CANCEL_QUERY = [
    {"name": "wait", "in": "query", "required": False, "schema": {"type": "boolean"},
     "description": "Answer once the run is over (its final values); otherwise 202 at once."},
    {"name": "action", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["interrupt", "rollback"]},
     "description": "interrupt: stop it (kept, as interrupted); rollback: stop it and delete it with its turn."},
]


def add_long_requests(result, generator, request, public):
    paths = result.setdefault("paths", {})
    paths["/threads/{thread_id}/runs/stream"] = _run_path(
        "Start a run and stream it", "As `POST /threads/{thread_id}/runs`, answered with the run's stream.",
        EVENT_STREAM,
    )
    paths["/threads/{thread_id}/runs/wait"] = _run_path(
        "Start a run and wait for it", "As `POST /threads/{thread_id}/runs`, answered with its final values; "
        "`Location` names its `join`.", FINAL_VALUES,
    )
    paths["/threads/{thread_id}/runs/{run_id}/stream"] = _run_path(
        "Join a run's stream", "Replays the run's frames after `Last-Event-ID`, then follows it live: each frame once.",
        EVENT_STREAM, with_run=True, method="get", body=False, parameters=STREAM_QUERY,
    )
    paths["/threads/{thread_id}/runs/{run_id}/join"] = _run_path(
        "Wait for a run", "Its final values once it is over.", FINAL_VALUES, with_run=True, method="get", body=False,
    )
    paths["/threads/{thread_id}/runs/{run_id}/cancel"] = _run_path(
        "Cancel a run", "Stops the run from any process.",
        {**FINAL_VALUES, "202": {"description": "Cancelling (without wait)."}},
        with_run=True, body=False, parameters=CANCEL_QUERY,
    )
    return result


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "agents.tokens.ApiKeyAuthentication"
    name = "ApiKey"
    priority = 1  # before the extension of the token authentication it derives from

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "x-api-key",
                "description": "An API token, as for `Authorization: Token <token>`."}


class LangGraphSchemaView(SpectacularAPIView):
    urlconf = "langgraph.urls"
    custom_settings = SETTINGS
