"""Typed readers for environment variables that fail loudly.

Settings are read once at import; a malformed value must stop the process at
start-up with a message naming the variable, never surface later as an odd
runtime failure.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


def _raw(name, default):
    value = os.environ.get(name)
    if value is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return None
    return value.strip()


def env_str(name, default=_MISSING):
    value = _raw(name, default)
    return default if value is None else value


def env_bool(name, default=_MISSING):
    value = _raw(name, default)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no).")


def _number(name, default, kind, minimum):
    value = _raw(name, default)
    if value is None:
        return default
    try:
        number = kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a valid {kind.__name__}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}.")
    return number


def env_int(name, default=_MISSING, minimum=None):
    return _number(name, default, int, minimum)


def env_float(name, default=_MISSING, minimum=None):
    return _number(name, default, float, minimum)


def env_list(name, default=_MISSING):
    """A comma-separated list; blanks are dropped."""
    value = _raw(name, default)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]
