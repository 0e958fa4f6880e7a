"""One error model, mapped once per transport.

Services and ``check_*`` functions raise ``contract.errors.PlatformError``
(code, message, field errors, an HTTP status hint). This module is where the
Django side turns it into answers:

* ``check_data``: validate untrusted data with a DRF serializer, for the
  transports that are not DRF views (the sockets, the SSE endpoints), raising
  ``PlatformError`` with the serializer's field errors;
* ``exception_handler``: REST (DRF's hook). Field errors keep DRF's shape
  ``{field: [message]}``; an error without fields is ``{"detail", "code"}``;
* ``socket_error``: the WebSocket ``{"type": "error", ...}`` frame;
* ``ApiErrorsAsJson``, ``api_not_found``, ``csrf_failure``: everything under
  ``/api/`` answers JSON, with DEBUG on too (no HTML error pages for clients
  that parse JSON).
"""

import logging

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.csrf import csrf_failure as html_csrf_failure
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from contract.errors import PlatformError

logger = logging.getLogger(__name__)

# Paths whose errors are JSON: the REST API and the LangGraph-compatible one.
API_PREFIX = ("/api/", "/lg/")


def check_data(serializer_class, data, **kwargs):
    """Validated data of ``serializer_class``, or PlatformError with its field errors."""
    serializer = serializer_class(data=data, **kwargs)
    if serializer.is_valid():
        return serializer.validated_data
    raise validation_error(serializer.errors)


def validation_error(errors):
    """A PlatformError for DRF field errors: ``missing_field`` if one is missing, else ``invalid_field``."""
    flat = _flat(errors)
    fields = {name: [str(message) for message in messages] for name, messages in flat.items()}
    missing = any(getattr(message, "code", None) == "required" for messages in flat.values() for message in messages)
    name, messages = next(iter(fields.items()))
    label = "" if name == "non_field_errors" else f"'{name}': "
    return PlatformError(f"{label}{messages[0]}", "missing_field" if missing else "invalid_field", fields)


def _flat(errors, prefix=""):
    """Nested DRF errors as {dotted.path: [ErrorDetail]}."""
    flat = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            flat.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(errors, list) and errors and not isinstance(errors[0], (dict, list)):
        flat[prefix or "non_field_errors"] = list(errors)
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            flat.update(_flat(value, f"{prefix}.{index}"))
    else:
        flat[prefix or "non_field_errors"] = [errors]
    return flat


def exception_handler(exc, context):
    if isinstance(exc, PlatformError):
        response = Response(rest_body(exc), status=exc.status)
        if getattr(exc, "wait", None):  # a rate limit says when to come back
            response["Retry-After"] = str(exc.wait)
        return response
    return drf_exception_handler(exc, context)


def rest_body(error):
    return error.fields if error.fields else {"detail": error.message, "code": error.code}


def socket_error(error):
    """The ``error`` frame of a refusal; messages quoting a client's value are cut short,
    so an error about a huge frame is not a huge frame itself."""
    body = error.as_dict()
    body["message"] = _cut(body["message"])
    if "fields" in body:
        body["fields"] = _cut_messages(body["fields"])
    return {"type": "error", **body}


MAX_ERROR_CHARS = 500


def _cut(text):
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _cut_messages(value):
    if isinstance(value, dict):
        return {_cut(str(key)): _cut_messages(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut_messages(item) for item in value]
    return _cut(str(value))


def json_error(status, detail, code):
    return JsonResponse({"detail": detail, "code": code}, status=status)


def api_not_found(request, *args, **kwargs):
    """Every unknown path under /api/ (instead of Django's HTML 404 page).

    A path that only lacks its trailing slash is redirected for GET, as
    Django's CommonMiddleware would (this catch-all keeps it from seeing a
    404), and named in the error otherwise.
    """
    with_slash = request.path + "/"
    if not request.path.endswith("/") and getattr(_resolve(with_slash), "func", api_not_found) is not api_not_found:
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(request.get_full_path().replace(request.path, with_slash, 1))
        return json_error(404, f"Not found. The path ends with a slash: {with_slash}", "not_found")
    return json_error(404, "Not found.", "not_found")


def _resolve(path):
    try:
        return resolve(path)
    except Resolver404:
        return None


def csrf_failure(request, reason=""):
    if request.path.startswith(API_PREFIX):
        return json_error(403, f"CSRF check failed: {reason}", "csrf_failed")
    return html_csrf_failure(request, reason=reason)


class ApiErrorsAsJson:
    """An unexpected exception under /api/ is a JSON 500, with DEBUG on too; the traceback goes to the log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX):
            return None
        logger.exception("Internal error on %s %s", request.method, request.path)
        return json_error(500, "Internal server error.", "internal_error")
