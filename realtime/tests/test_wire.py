"""The JSON every client receives: compact, UTF-8, and the same values json would read back."""

import json

import autobahn.util

from realtime import wire


def test_a_message_is_compact_utf8_json_with_the_same_values():
    message = {"type": "token", "seq": 7, "content": {"text": "héllo ✓", "score": 0.1, "tags": [None, True]}}
    encoded = wire.dumps(message)
    assert json.loads(encoded) == message
    assert b", " not in encoded and b": " not in encoded
    assert "héllo ✓".encode() in encoded


def test_what_orjson_refuses_is_still_sent():
    # Python's json reads integers of any size from an agent server's content; orjson writes 64 bits.
    message = {"type": "tool_result", "seq": 1, "content": {"result": 2**80}}
    assert json.loads(wire.dumps(message)) == message


def test_daphne_frames_are_sent_without_coloring_their_log_arguments():
    import config.asgi  # noqa: F401 - what an api process loads

    # autobahn builds these for a debug log call on every frame sent.
    assert autobahn.util.hl("sent", bold=True) == "sent"
