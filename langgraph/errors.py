"""Errors as the LangGraph clients read them: ``{"detail": "..."}``, bad input a 422.

The clients raise by status (404 ``NotFoundError``, 409 ``ConflictError``,
422 ``UnprocessableEntityError``...) and show ``detail``; the field errors
go along in ``errors`` for a person reading the body.
"""

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import validation_error
from contract.errors import PlatformError


def lg_body(error):
    body = {"detail": error.message, "code": error.code}
    if error.fields:
        body["errors"] = error.fields
    return body


def unprocessable(serializer_errors):
    error = validation_error(serializer_errors)
    error.status = 422
    return error


def exception_handler(exc, context):
    if isinstance(exc, exceptions.ValidationError):
        exc = unprocessable(exc.detail)
    if isinstance(exc, exceptions.ParseError):
        exc = PlatformError(str(exc.detail), "invalid_json", status=422)
    if isinstance(exc, PlatformError):
        response = Response(lg_body(exc), status=exc.status)
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(exc.wait)
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"]), "code": getattr(exc, "default_code", "error")}
    return response
