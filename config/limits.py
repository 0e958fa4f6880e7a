"""Limits on what clients send, one place for every way in (REST, sockets, SSE).

Anything parsed from a client is checked against these before it reaches a
service, so hostile input is a clear 400 (or a socket ``error`` frame), never
a crash deeper down: a JSON document nested a thousand levels parses, but
every later walk of it (rendering, storing, the admin) recurses past
Python's limit; an integer past the database's column overflows its driver.
"""

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The largest seq (and cursor) there can be: the column is a 32-bit integer.
MAX_SEQ = 2_147_483_647
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


def parse_json(text):
    """Parse untrusted JSON text: ValueError when invalid, TooDeep (one) when nested past the limit."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep() from None
    if json_too_deep(value):
        raise TooDeep()
    return value


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
