"""The nesting limit on untrusted JSON, shared by every process that parses it.

A JSON document nested a thousand levels parses, but every later walk of it
(validation, rendering, storing, the admin) recurses past Python's limit, so
a document deeper than ``MAX_JSON_DEPTH`` is refused where it enters: REST
bodies and socket frames on the api (``config.limits``), request bodies on
the agent server.
"""

from __future__ import annotations

import json
from typing import Any

# Nesting of any JSON a client sends: bodies, frames, input_data, configs.
MAX_JSON_DEPTH = 32


def json_too_deep(value, limit=MAX_JSON_DEPTH):
    """True when ``value`` nests objects and lists more than ``limit`` deep (iterative: no recursion)."""
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, (dict, list))
        ]
    return False


class TooDeep(ValueError):
    def __init__(self):
        super().__init__(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")


def parse_json(text: str | bytes, **options: Any) -> Any:
    """Parse untrusted JSON text: ValueError when invalid, TooDeep (one) when nested past the limit."""
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise TooDeep() from None
    if json_too_deep(value):
        raise TooDeep()
    return value
