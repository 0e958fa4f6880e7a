"""The OpenAPI schema's conventions: every operation documents the errors it can answer.

Generated clients (openapi-typescript, openapi-python-client) read error
responses from the schema; drf-spectacular documents only the success, so
this AutoSchema adds the platform's error bodies (``config.errors``):

* 400 with field errors ``{field: [message]}`` where input is parsed;
* 401 ``{detail, code}`` where credentials are needed;
* 403 ``{detail, code: "permission_denied"}`` on changes to an object
  (staff changing another user's object without the model permission);
* 404 ``{detail, code}`` on paths naming an object;
* 413 ``{detail, code: "too_large"}`` where a body is sent (``config.http``);
* 429 ``{detail, code}`` with ``Retry-After`` where a rate limit applies
  (views with throttles; ``throttled_operation`` marks others).
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(required=False, help_text="A stable machine-readable identifier.")


def field_errors(description):
    """A response of field errors (the FieldErrors component, in SPECTACULAR_SETTINGS["APPEND_COMPONENTS"])."""
    return OpenApiResponse({"$ref": "#/components/schemas/FieldErrors"}, description=description)


THROTTLED = OpenApiResponse(ErrorSerializer, description="Past a rate limit; Retry-After says when to try again.")


class PlatformAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {}
        if self.method in ("POST", "PUT", "PATCH") or self._get_filter_parameters() or self.get_override_parameters():
            errors["400"] = field_errors("Invalid input.")
        if self.get_auth() and {} not in self.get_auth():
            errors["401"] = OpenApiResponse(ErrorSerializer, description="Missing or invalid credentials.")
        if "{" in self.path and self.method in ("POST", "PUT", "PATCH", "DELETE"):
            errors["403"] = OpenApiResponse(
                ErrorSerializer, description="Yours to see but not to change (staff need the model permission)."
            )
        if "{" in self.path:
            errors["404"] = OpenApiResponse(ErrorSerializer, description="No such object, or not yours.")
        if self.method in ("POST", "PUT", "PATCH") and self.view.throttle_classes:
            errors["429"] = THROTTLED
        if self.method in ("POST", "PUT", "PATCH"):
            errors["413"] = OpenApiResponse(ErrorSerializer, description="The request body is larger than its limit.")
        for code, response in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
