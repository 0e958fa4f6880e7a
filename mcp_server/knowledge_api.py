"""HTTP endpoints of the knowledge base; thin adapters over ``KnowledgeBase``.

``PUT /knowledge/{agent_id}/documents/{document_id}``
    Body ``{"filename": str, "content_type": str, "content_base64": str}``.
    Extracts, chunks, embeds and indexes the document, replacing an earlier
    version with the same id. 200 ``{"document_id", "chunks": int}``. A
    document that cannot be indexed is a 422 with code
    ``unsupported_document``, ``unreadable_document``, ``empty_document``,
    ``document_too_many_pages``, ``document_text_too_long``,
    ``document_timeout`` or ``document_out_of_memory`` (the limits are the
    ``MCP_DOCUMENT_*``, ``MCP_PARSE_*`` and ``MCP_INDEX_TIMEOUT`` settings),
    and nothing of it stays searchable; a body past
    ``MCP_DOCUMENT_MAX_BYTES`` is a 413 ``document_too_large``; a malformed
    request a 400 ``invalid_request``. All of these are final: asking again
    gets the same answer. 503 ``busy`` (no reader free in time; nothing was
    read) is worth a retry. A PUT of a document that is being indexed
    waits for that indexing rather than reading it again.
``DELETE /knowledge/{agent_id}/documents/{document_id}``
    204, also when there was no such document; it leaves search at once.
``POST /knowledge/{agent_id}/search``
    Body ``{"query": str, "k": int = 4}`` (k in 1..50). 200 ``{"results":
    [{"document_id", "filename", "chunk", "text", "score"}]}``, best first;
    ``score`` is the fused rank score (higher is better, not a probability).

``POST /embed``
    Body ``{"texts": [str]}`` (1..64 texts of at most 8,000 characters).
    200 ``{"model", "dimensions", "vectors": [base64 of little-endian
    float32]}``, unit vectors in the order of the texts: the platform's
    long-term memory keeps them and compares them with a query's.

Errors are ``{"error": {"message", "code", "fields"?}}`` like every other
answer of this server; the bearer token guards these routes like /execute.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from contract.limits import MAX_JSON_DEPTH, TooDeep, parse_json
from mcp_server.knowledge import DocumentError, KnowledgeBusy
from mcp_server.knowledge.documents import DOCUMENT_TOO_LARGE
from mcp_server.knowledge.embeddings import DIMENSIONS, MODEL_ID
from mcp_server.protocol import INVALID_REQUEST, BadRequest, BodyTooLarge, read_limited
from mcp_server.responses import error_response

BUSY = "busy"
MAX_ID_CHARS = 200
MAX_K = 50
MAX_EMBED_TEXTS = 64
MAX_EMBED_CHARS = 8000


async def put_document(request: Request) -> Response:
    max_bytes = request.app.state.services.settings.document_max_bytes
    try:
        agent_id, document_id = _ids(request)
        # base64 is 4/3 of the document, plus the JSON around it.
        body = await _json_object(request, max_bytes * 4 // 3 + 64 * 1024)
        problems: dict[str, str] = {}
        filename = _text(body, "filename", problems, required=True)
        content_type = _text(body, "content_type", problems, required=True)
        encoded = _text(body, "content_base64", problems, required=True, allow_empty=True)
        content = b""
        if encoded is not None:
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                problems["content_base64"] = "Must be base64."
        if problems:
            raise BadRequest(_summary(problems), INVALID_REQUEST, problems)
    except BodyTooLarge:
        return _too_large(max_bytes)
    except BadRequest as rejection:
        return error_response(400, rejection.message, rejection.code, fields=rejection.fields)
    if len(content) > max_bytes:
        return _too_large(max_bytes)
    knowledge = request.app.state.services.knowledge
    try:
        chunks = await knowledge.put_document(agent_id, document_id, filename, content_type, content)
    except DocumentError as error:
        return error_response(422, error.message, error.code)
    except KnowledgeBusy as busy:
        return error_response(503, str(busy), BUSY)
    return JSONResponse({"document_id": document_id, "chunks": chunks})


def _too_large(max_bytes: int) -> Response:
    return error_response(413, f"The document is larger than {max_bytes / (1024 * 1024):g} MiB.", DOCUMENT_TOO_LARGE)


async def delete_document(request: Request) -> Response:
    try:
        agent_id, document_id = _ids(request)
    except BadRequest as rejection:
        return error_response(400, rejection.message, rejection.code, fields=rejection.fields)
    await request.app.state.services.knowledge.delete_document(agent_id, document_id)
    return Response(status_code=204)


async def search(request: Request) -> Response:
    try:
        agent_id, _ = _ids(request)
        body = await _json_object(request, 64 * 1024)
        problems: dict[str, str] = {}
        query = _text(body, "query", problems, required=True)
        k = body.get("k", 4)
        if type(k) is not int or not 1 <= k <= MAX_K:
            problems["k"] = f"Must be an integer between 1 and {MAX_K}."
        if problems:
            raise BadRequest(_summary(problems), INVALID_REQUEST, problems)
    except BadRequest as rejection:
        return error_response(400, rejection.message, rejection.code, fields=rejection.fields)
    hits = await request.app.state.services.knowledge.search(agent_id, query, k)
    return JSONResponse({"results": [hit.as_dict() for hit in hits]})


async def embed(request: Request) -> Response:
    try:
        body = await _json_object(request, 1024 * 1024)
        texts = body.get("texts")
        if (
            not isinstance(texts, list)
            or not 1 <= len(texts) <= MAX_EMBED_TEXTS
            or not all(isinstance(text, str) and len(text) <= MAX_EMBED_CHARS for text in texts)
        ):
            problem = f"A list of 1 to {MAX_EMBED_TEXTS} strings of at most {MAX_EMBED_CHARS} characters."
            raise BadRequest(_summary({"texts": problem}), INVALID_REQUEST, {"texts": problem})
    except BadRequest as rejection:
        return error_response(400, rejection.message, rejection.code, fields=rejection.fields)
    vectors = await request.app.state.services.knowledge.embed(texts)
    return JSONResponse(
        {
            "model": MODEL_ID,
            "dimensions": DIMENSIONS,
            "vectors": [base64.b64encode(vector).decode("ascii") for vector in vectors],
        }
    )


routes = [
    Route("/embed", embed, methods=["POST"]),
    Route("/knowledge/{agent_id}/documents/{document_id}", put_document, methods=["PUT"]),
    Route("/knowledge/{agent_id}/documents/{document_id}", delete_document, methods=["DELETE"]),
    Route("/knowledge/{agent_id}/search", search, methods=["POST"]),
]


def _ids(request: Request) -> tuple[str, str | None]:
    agent_id = request.path_params["agent_id"]
    document_id = request.path_params.get("document_id")
    for name, value in (("agent_id", agent_id), ("document_id", document_id)):
        if value is not None and not 1 <= len(value) <= MAX_ID_CHARS:
            raise BadRequest(f"{name} must be 1 to {MAX_ID_CHARS} characters.", INVALID_REQUEST, {name: "Too long."})
    return agent_id, document_id


async def _json_object(request: Request, limit: int) -> dict[str, Any]:
    try:
        body = await read_limited(request.stream(), limit)
    except ClientDisconnect:
        raise BadRequest("The client went away.") from None
    except BodyTooLarge as too_large:
        raise BodyTooLarge(too_large.message, DOCUMENT_TOO_LARGE) from None
    try:
        document = parse_json(body)
    except TooDeep:
        raise BadRequest(f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.") from None
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise BadRequest("The request body must be a JSON object.")
    return document


def _text(
    body: dict[str, Any], key: str, problems: dict[str, str], *, required: bool, allow_empty: bool = False
) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            problems[key] = "This field is required."
        return None
    if not isinstance(value, str):
        problems[key] = "Must be a string."
        return None
    if not allow_empty and not value.strip():
        problems[key] = "Must not be empty."
        return None
    return value


def _summary(problems: dict[str, str]) -> str:
    return "Invalid request. " + " ".join(f"{key}: {problem}" for key, problem in problems.items())
