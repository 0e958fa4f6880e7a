"""Schema validation of untrusted configs and inputs: defaults, strict integers, plain words."""

import pytest
from jsonschema.exceptions import SchemaError

from contract.config import ConfigError, InputError, compile_schema, validate_config, validate_input

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "steps": {"type": "integer", "minimum": 0, "maximum": 10, "default": 3},
        "mode": {"enum": ["fast", "slow"], "default": "fast"},
        "tags": {"type": "array", "items": {"type": "string"}, "default": ["a"]},
        "name": {"type": "string"},
    },
}
validator = compile_schema(SCHEMA)


def test_it_fills_in_the_defaults_of_missing_options():
    assert validate_config(validator, {"name": "x"}, "demo") == {
        "steps": 3, "mode": "fast", "tags": ["a"], "name": "x"}


def test_defaults_are_copies_so_a_run_cannot_change_the_schema():
    validate_config(validator, {}, "demo")["tags"].append("b")

    assert validate_config(validator, {}, "demo")["tags"] == ["a"]


def test_given_options_win_over_defaults():
    assert validate_config(validator, {"steps": 0, "mode": "slow"}, "demo")["steps"] == 0


@pytest.mark.parametrize("value", [3.0, True, "3"])
def test_integers_are_strict(value):
    with pytest.raises(ConfigError) as failure:
        validate_config(validator, {"steps": value}, "demo")

    assert failure.value.fields == {"steps": "Must be an integer."}


def test_it_reports_every_bad_option_at_once_in_plain_words():
    with pytest.raises(ConfigError) as failure:
        validate_config(validator, {"steps": 11, "mode": "medium", "tags": ["ok", 2], "color": "red"}, "demo")

    assert failure.value.fields == {
        "color": "Unknown option.",
        "mode": "Must be one of: 'fast', 'slow'.",
        "steps": "Must be at most 10.",
        "tags.1": "Must be a string.",
    }
    assert failure.value.message == (
        "Invalid config for runtime 'demo'. color: Unknown option. mode: Must be one of: 'fast', 'slow'. "
        "steps: Must be at most 10. tags.1: Must be a string."
    )
    assert failure.value.code == "invalid_config"


def test_a_config_that_is_not_an_object_has_a_message_and_no_fields():
    with pytest.raises(ConfigError, match="The config of runtime 'demo' must be a JSON object.") as failure:
        validate_config(validator, [1, 2], "demo")

    assert failure.value.fields == {}


def test_a_broken_schema_fails_when_it_is_compiled():
    with pytest.raises(SchemaError):
        compile_schema({"type": "integr"})


INPUT_SCHEMA = {
    "type": "object",
    "properties": {"message": {"type": "string", "pattern": r"\S"}, "question": {"type": "string"}},
    "required": ["lang"],
    "anyOf": [{"required": ["message"]}, {"required": ["question"]}],
}
input_validator = compile_schema(INPUT_SCHEMA)


def test_a_matching_input_comes_back_unchanged():
    data = {"question": "Why?", "lang": "en", "extra": 1}

    assert validate_input(input_validator, data, "demo") is data


def test_input_problems_speak_of_fields_and_say_which_keys_would_do():
    with pytest.raises(InputError) as failure:
        validate_input(input_validator, {}, "demo")

    assert failure.value.fields == {"lang": "This field is required.", "message": "Give one of: message, question."}
    assert failure.value.message.startswith("Invalid input for runtime 'demo'. ")
    assert failure.value.code == "invalid_input"


def test_a_blank_message_is_reported_as_blank():
    with pytest.raises(InputError) as failure:
        validate_input(input_validator, {"message": "  ", "lang": "en"}, "demo")

    assert failure.value.fields == {"message": "Must not be blank."}
