"""Validating an agent's untrusted config against its runtime's JSON schema.

The schema is the single source of truth for a runtime's options: it drives
validation here, fills in defaults, and can be published as-is to describe a
runtime. Only the top level of a config gets defaults and per-option messages;
that is all flat configs need, and nested values still get validated.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

# JSON Schema counts 3.0 (and Python counts True) as an integer; a runtime
# doing range(config["steps"]) must never receive either, so integers are strict.
_STRICT_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
)
ConfigValidator = validators.extend(Draft202012Validator, type_checker=_STRICT_TYPES)

_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a JSON object",
    "array": "a list",
    "null": "null",
}


class ConfigError(Exception):
    """An agent config a runtime cannot run with.

    ``fields`` maps each offending option (a dotted path inside the config) to
    a message a person can act on.
    """

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


def compile_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """Check that ``schema`` is a valid JSON schema and build its validator."""
    ConfigValidator.check_schema(schema)
    return ConfigValidator(schema)


def validate_config(validator: Draft202012Validator, config: Any, runtime_name: str) -> dict[str, Any]:
    """Return ``config`` with defaults filled in, or raise ``ConfigError``."""
    if not isinstance(config, dict):
        raise ConfigError(f"The config of runtime {runtime_name!r} must be a JSON object.")
    problems: dict[str, str] = {}
    for error in validator.iter_errors(config):
        for path, problem in _describe(error):
            problems.setdefault(path, problem)
    if problems:
        problems = dict(sorted(problems.items()))
        details = " ".join(f"{path}: {problem}" for path, problem in problems.items())
        raise ConfigError(f"Invalid config for runtime {runtime_name!r}. {details}", problems)
    return _with_defaults(validator.schema, config)


def _describe(error: ValidationError) -> list[tuple[str, str]]:
    """Turn one schema violation into ``(path, message)`` pairs in plain words."""
    path = ".".join(str(part) for part in error.absolute_path)
    kind, expected = error.validator, error.validator_value
    if kind == "additionalProperties":
        allowed = error.schema.get("properties", {})
        unexpected = [key for key in error.instance if key not in allowed]
        return [(_join(path, key), "Unknown option.") for key in unexpected]
    if kind == "required":
        missing = [key for key in expected if key not in error.instance]
        return [(_join(path, key), "This option is required.") for key in missing]
    if kind == "type":
        names = [expected] if isinstance(expected, str) else expected
        return [(path, f"Must be {' or '.join(_TYPE_NAMES.get(n, n) for n in names)}.")]
    if kind == "minimum":
        return [(path, f"Must be at least {expected}.")]
    if kind == "maximum":
        return [(path, f"Must be at most {expected}.")]
    if kind == "enum":
        return [(path, f"Must be one of: {', '.join(map(repr, expected))}.")]
    return [(path, error.message[:1].upper() + error.message[1:] + ".")]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _with_defaults(schema: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    defaults = {
        key: copy.deepcopy(option["default"])
        for key, option in schema.get("properties", {}).items()
        if "default" in option
    }
    return {**defaults, **config}
