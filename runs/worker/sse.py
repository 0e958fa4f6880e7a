"""Server-sent events from the chunks of a ``text/event-stream`` body (the WHATWG format).

The worker reads every event of every run through this, so it works on
whole chunks: one ``bytes.split`` per chunk finds the lines (in C), and a
line costs a comparison or two. A stream of a few hundred runs is read for
a fraction of what a line-at-a-time text decoder costs per event.

Only what the agent server's protocol uses is kept: ``event`` and ``data``
(``id`` and ``retry`` are read and ignored: the worker never reconnects a
run's stream, the platform's own seqs order the events). Lines may end in
LF, CRLF or CR; comments (``: ping``) are skipped.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    data: str


class EventStreamParser:
    def __init__(self):
        self._rest = b""  # the unfinished last line of the chunks so far
        self._event = ""
        self._data = []

    def feed(self, chunk):
        """The events completed by ``chunk`` (bytes), in order."""
        buffer = self._rest + chunk if self._rest else chunk
        if b"\r" in buffer:
            # A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
            held = buffer.endswith(b"\r")
            if held:
                buffer = buffer[:-1]
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            if held:
                buffer += b"\r"
        lines = buffer.split(b"\n")
        self._rest = lines.pop()
        events = []
        for line in lines:
            if not line:
                if self._data:
                    events.append(ServerSentEvent(self._event or "message", "\n".join(self._data)))
                self._event, self._data = "", []
                continue
            name, colon, value = line.partition(b":")
            if not name:
                continue  # a comment
            if colon and value.startswith(b" "):
                value = value[1:]
            if name == b"data":
                self._data.append(value.decode("utf-8", "replace"))
            elif name == b"event":
                self._event = value.decode("utf-8", "replace")
        return events
