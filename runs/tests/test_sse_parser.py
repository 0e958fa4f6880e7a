"""The worker's parser of run streams reads the event-stream format however the bytes are cut."""

import pytest

from runs.worker.sse import EventStreamParser, ServerSentEvent

STREAM = (
    b": ping\n\n"
    b'event: token\ndata: {"content": "Hel"}\n\n'
    b"event: step\r\ndata: line one\r\ndata: line two\r\n\r\n"
    b"data:no space\rid: 7\rretry: 1000\r\r"
    b'event: result\ndata: {"output": "caf\xc3\xa9"}\n\n'
)
EXPECTED = [
    ServerSentEvent("token", '{"content": "Hel"}'),
    ServerSentEvent("step", "line one\nline two"),
    ServerSentEvent("message", "no space"),
    ServerSentEvent("result", '{"output": "café"}'),
]


def parse(chunks):
    parser = EventStreamParser()
    return [event for chunk in chunks for event in parser.feed(chunk)]


def test_a_whole_stream_in_one_chunk():
    assert parse([STREAM]) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_the_same_events_whatever_the_chunk_size(size):
    # Every cut: inside a field name, between CR and LF, inside a UTF-8 character.
    assert parse([STREAM[i : i + size] for i in range(0, len(STREAM), size)]) == EXPECTED


def test_an_event_is_given_only_once_its_blank_line_arrives():
    parser = EventStreamParser()

    assert parser.feed(b'event: token\ndata: {"content": "a"}\n') == []
    assert parser.feed(b"\n") == [ServerSentEvent("token", '{"content": "a"}')]


def test_a_block_without_data_dispatches_nothing_and_forgets_its_type():
    assert parse([b"event: token\n\ndata: x\n\n"]) == [ServerSentEvent("message", "x")]


def test_an_event_cut_off_by_the_end_of_the_stream_is_not_given():
    assert parse([b'event: token\ndata: {"content": "partial"}\n']) == []
