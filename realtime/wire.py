"""The JSON of every message sent to a client, on a socket or a stream.

It runs once per event per client, so it is orjson (in C, several times the
standard library's speed). orjson refuses what Python's json accepts in
content an agent server may send (an integer past 64 bits); such a message
is encoded by json instead, to the same JSON.
"""

import json

import orjson


def dumps(message) -> bytes:
    """``message`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(message)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
