"""Settings read from the environment fail loudly on bad values."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_str


def test_values_are_parsed_by_type(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_FLOAT", "0.5")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", minimum=1) == 42
    assert env_float("X_FLOAT") == 0.5
    assert env_list("X_LIST") == ["a.example", "b.example"]
    assert env_str("X_UNSET", "fallback") == "fallback"


@pytest.mark.parametrize(
    "reader, value",
    [(env_bool, "maybe"), (env_int, "ten"), (env_float, "fast"), (lambda name: env_int(name, minimum=5), "3")],
)
def test_a_malformed_value_names_the_variable(monkeypatch, reader, value):
    monkeypatch.setenv("X_BAD", value)
    with pytest.raises(ImproperlyConfigured, match="X_BAD"):
        reader("X_BAD")


def test_a_required_variable_that_is_missing_is_an_error(monkeypatch):
    monkeypatch.delenv("X_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_REQUIRED"):
        env_str("X_REQUIRED")
