"""Limits on what clients send, one place for every way in (REST, sockets, SSE).

Anything parsed from a client is checked against these before it reaches a
service, so hostile input is a clear 400 (or a socket ``error`` frame), never
a crash deeper down: a JSON document nested a thousand levels parses, but
every later walk of it (rendering, storing, the admin) recurses past
Python's limit; an integer past the database's column overflows its driver.
"""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError

# The nesting rule is shared with the agent server (contract/limits.py).
from contract.limits import MAX_JSON_DEPTH, TooDeep, json_too_deep, parse_json

# The largest seq (and cursor) there can be: the column is a 32-bit integer.
MAX_SEQ = 2_147_483_647
# An execution's input_data and an agent's config, as JSON. Every message
# that carries them (execution_created, execution_started, REST pages) stays
# well under 1 MiB, which is where common WebSocket clients stop reading.
MAX_INPUT_BYTES = 256 * 1024
MAX_CONFIG_BYTES = 64 * 1024
# One WebSocket frame from a client: room for the largest input_data.
MAX_FRAME_BYTES = 512 * 1024
# Text of a client's own value quoted back in an error.
MAX_QUOTE_CHARS = 80


def json_value_error(value, max_bytes):
    """Why ``value`` (parsed JSON) is too big to keep, or None: nested past the limit, or over
    ``max_bytes`` once serialized."""
    if json_too_deep(value):
        return f"Nested deeper than {MAX_JSON_DEPTH} levels."
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > max_bytes:
        return f"Must be at most {size_text(max_bytes)} as JSON (got {size_text(size)})."
    return None


def check_json_object(value, max_bytes):
    """A serializer field's check of a JSON object within the limits; returns it, or raises DRF's ValidationError."""
    if not isinstance(value, dict):
        raise serializers.ValidationError("Must be a JSON object.")
    problem = json_value_error(value, max_bytes)
    if problem:
        raise serializers.ValidationError(problem)
    return value


def quoted(value):
    """``repr(value)``, cut to a length an error message may repeat."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTE_CHARS else text[: MAX_QUOTE_CHARS - 4] + "...'"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with the nesting limit (a RecursionError would be a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if not json_too_deep(data):
                return data
        raise ParseError(f"JSON parse error - {TooDeep()}")


def size_text(size):
    """A byte count as people read it in an error: ``10.1 MB``, ``262 kB``, ``512 bytes``."""
    if size >= 1_000_000:
        return f"{round(size / 1_000_000, 1):g} MB"
    if size >= 10_000:
        return f"{round(size / 1000):g} kB"
    return f"{size:,} bytes"


class JSONFormField(forms.JSONField):
    """Django's form JSONField with the nesting limit: the admin's JSON boxes.

    Django parses the text twice (to clean it, and again to show it back in a
    form with errors), and both would raise RecursionError on deep input.
    """

    def to_python(self, value):
        if self.disabled or value in self.empty_values or isinstance(value, (list, dict, int, float)):
            return super().to_python(value)
        try:
            parsed = parse_json(value)
        except TooDeep as error:
            raise ValidationError(str(error), code="invalid") from None
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value}) from None
        return super().to_python(json.dumps(parsed))

    def bound_data(self, data, initial):
        if self.disabled or data is None:
            return super().bound_data(data, initial)
        try:
            return parse_json(data)
        except ValueError:
            return InvalidJSONInput(data)


# What the admin uses for every JSONField (see the ModelAdmins' formfield_overrides).
ADMIN_FORMFIELD_OVERRIDES = {models.JSONField: {"form_class": JSONFormField}}
