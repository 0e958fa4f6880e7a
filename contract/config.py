"""Validating untrusted JSON (an agent's config, an execution's input) against a JSON schema.

A runtime's schemas are the single source of truth for what it accepts: they
drive validation here, supply config defaults, and are published as they are
in the runtime catalog. Every problem is reported at once, in plain words,
keyed by the dotted path of the offending value, so a person can fix a
config in one go. Only the top level of a config gets defaults; that is all
flat configs need, and nested values still get validated.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from contract.errors import PlatformError

# JSON Schema counts 3.0 (and Python counts True) as an integer; a runtime
# doing range(config["steps"]) must never receive either, so integers are strict.
_STRICT_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
)
SchemaValidator = validators.extend(Draft202012Validator, type_checker=_STRICT_TYPES)

_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a JSON object",
    "array": "a list",
    "null": "null",
}
# Patterns the runtimes' schemas use, in words; any other is quoted.
_PATTERN_NAMES = {r"\S": "Must not be blank."}


class SchemaViolation(PlatformError):
    """Untrusted JSON its schema rejects; ``fields`` maps each dotted path to a message."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields=fields)


class ConfigError(SchemaViolation):
    """An agent config a runtime cannot run with."""

    code = "invalid_config"


class InputError(SchemaViolation):
    """An execution input that does not match its runtime's ``input_schema``."""

    code = "invalid_input"


def compile_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """Check that ``schema`` is a valid JSON schema (draft 2020-12) and build its validator."""
    SchemaValidator.check_schema(schema)
    return SchemaValidator(schema)


def validate_config(validator: Draft202012Validator, config: Any, runtime_name: str) -> dict[str, Any]:
    """Return ``config`` with defaults filled in, or raise ``ConfigError``."""
    _check(validator, config, ConfigError, "config", runtime_name, noun="option")
    return _with_defaults(validator.schema, config)


def validate_input(validator: Draft202012Validator, input_data: Any, runtime_name: str) -> dict[str, Any]:
    """Return ``input_data`` unchanged if it matches, or raise ``InputError``."""
    _check(validator, input_data, InputError, "input", runtime_name, noun="field")
    return input_data


def _check(
    validator, document: Any, error_class: type[SchemaViolation], what: str, runtime_name: str, noun: str
) -> None:
    if not isinstance(document, dict):
        raise error_class(f"The {what} of runtime {runtime_name!r} must be a JSON object.")
    problems: dict[str, str] = {}
    for error in validator.iter_errors(document):
        for path, problem in _describe(error, noun):
            problems.setdefault(path, problem)
    if problems:
        problems = dict(sorted(problems.items()))
        details = " ".join(f"{path}: {problem}" for path, problem in problems.items())
        raise error_class(f"Invalid {what} for runtime {runtime_name!r}. {details}", problems)


def _describe(error: ValidationError, noun: str) -> Iterator[tuple[str, str]]:
    """Turn one schema violation into ``(path, message)`` pairs in plain words."""
    path = ".".join(str(part) for part in error.absolute_path)
    kind, expected = error.validator, error.validator_value
    if kind == "additionalProperties":
        allowed = error.schema.get("properties", {})
        for key in error.instance:
            if key not in allowed:
                yield _join(path, key), f"Unknown {noun}."
    elif kind == "required":
        for key in expected:
            if key not in error.instance:
                yield _join(path, key), f"This {noun} is required."
    elif kind == "anyOf" and all(branch.get("required") for branch in expected):
        # "one of these keys": reported at the first, which is the usual one.
        keys = [branch["required"][0] for branch in expected]
        yield _join(path, keys[0]), f"Give one of: {', '.join(keys)}."
    elif kind == "type":
        names = [expected] if isinstance(expected, str) else expected
        yield path, f"Must be {' or '.join(_TYPE_NAMES.get(n, n) for n in names)}."
    elif kind == "minimum":
        yield path, f"Must be at least {expected}."
    elif kind == "maximum":
        yield path, f"Must be at most {expected}."
    elif kind == "enum":
        yield path, f"Must be one of: {', '.join(map(repr, expected))}."
    elif kind == "maxItems":
        yield path, f"Must have at most {expected} items."
    elif kind == "minItems":
        yield path, f"Must have at least {expected} items."
    elif kind == "pattern":
        yield path, _PATTERN_NAMES.get(expected, f"Must match the pattern {expected!r}.")
    else:
        yield path, error.message[:1].upper() + error.message[1:] + "."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _with_defaults(schema: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    defaults = {
        key: copy.deepcopy(option["default"])
        for key, option in schema.get("properties", {}).items()
        if "default" in option
    }
    return {**defaults, **config}
