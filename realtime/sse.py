"""Server-sent events: ``GET /api/executions/{id}/stream/`` as ``text/event-stream``.

Each event is one frame, the same JSON as the WebSocket message::

    event: <message type>
    id: <seq>
    data: <JSON>

A client resumes with ``Last-Event-ID`` (what EventSource sends by itself
on reconnect) or ``?after_seq=``; the stream replays what it missed, then
follows live through the execution's ``Feed``, sends a ``: ping`` comment
after ``SSE_HEARTBEAT_SECONDS`` of silence (each ping also checks the
database for a last event that pub/sub may have dropped), and ends after the
terminal event. Authentication and ownership are REST's: a session cookie or
``Authorization: Token <key>``; missing credentials are 401, someone else's
execution is 404, bad input 400, all as JSON.

This is an ASGI consumer on the api's event loop, not a Django view: an open
stream costs a coroutine, never one of the threads that serve requests.
"""

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from django.conf import settings
from rest_framework import serializers

from config.errors import check_data, rest_body
from contract.errors import PlatformError
from runs import selectors
from runs.serializers import after_seq_field

from .auth import user_for_scope
from .feed import Feed, LiveDispatch, first_chunk_if_visible
from .lifetime import ConnectionLifetime

logger = logging.getLogger(__name__)

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    # Proxies and browsers must neither cache nor buffer a live stream.
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]
PING = b": ping\n\n"
OPENED = b": stream opened\n\n"


class StreamQuery(serializers.Serializer):
    after_seq = after_seq_field()


def encode_frame(message):
    data = json.dumps(message, separators=(",", ":"))
    return f"event: {message['type']}\nid: {message['seq']}\ndata: {data}\n\n".encode()


class ExecutionStreamConsumer(ConnectionLifetime, LiveDispatch, AsyncConsumer):
    """One SSE stream of one execution; its end (the last event sent, or the client
    gone) is ``realtime.lifetime.ConnectionLifetime``'s."""

    feed = heartbeat = None

    async def http_request(self, message):
        if message.get("more_body"):
            return  # a GET has no body worth reading; wait for its end
        self.feed = Feed(self.channel_layer, self.channel_name, self._send_event, on_terminal=self._finished)
        try:
            execution_id, after_seq, first_chunk = await self._admit()
        except PlatformError as error:
            return await self._refuse(error)
        await self.send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        # A comment sends the headers now (they leave with the first body):
        # a client sees the stream open even before an event.
        await self._send_body(OPENED)
        await self.feed.follow(execution_id, after_seq, first_chunk)
        self.heartbeat = asyncio.ensure_future(self._beat())

    async def _admit(self):
        if self.scope["method"] != "GET":
            raise PlatformError(f"Method \"{self.scope['method']}\" not allowed.", "method_not_allowed", status=405)
        user = await database_sync_to_async(user_for_scope)(self.scope)
        if user is None:
            raise PlatformError("Authentication credentials were not provided.", "not_authenticated", status=401)
        execution_id = str(self.scope["url_route"]["kwargs"]["execution_id"])
        after_seq = check_data(StreamQuery, {**self._query(), **self._last_event_id()})["after_seq"]
        # Joined before the first chunk is read: see Feed.
        await self.feed.join(execution_id)
        first_chunk = await first_chunk_if_visible(selectors.executions_visible_to(user), execution_id, after_seq)
        if first_chunk is None:
            await self.feed.leave(execution_id)
            raise PlatformError("Not found.", "not_found", status=404)
        return execution_id, after_seq, first_chunk

    def _query(self):
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        return {"after_seq": query["after_seq"][-1]} if "after_seq" in query else {}

    def _last_event_id(self):
        # EventSource resends the last id it saw; it wins over the query string.
        value = dict(self.scope.get("headers") or []).get(b"last-event-id")
        return {"after_seq": value.decode("latin-1").strip()} if value else {}

    async def _refuse(self, error):
        headers = [(b"content-type", b"application/json")]
        if error.status == 401:
            headers.append((b"www-authenticate", b"Token"))
        await self.send({"type": "http.response.start", "status": error.status, "headers": headers})
        await self.send({"type": "http.response.body", "body": json.dumps(rest_body(error)).encode()})
        raise StopConsumer()

    async def _send_event(self, message):
        await self._send_body(encode_frame(message))

    async def _send_body(self, body):
        self.last_sent = time.monotonic()
        await self.send({"type": "http.response.body", "body": body, "more_body": True})

    async def _finished(self, execution_id):
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})
        raise StopConsumer()

    async def _beat(self):
        """Ask this consumer, through its own channel, to ping when the stream has been silent.

        Through the channel rather than from this task, so the ping and its
        catch-up run in turn with live events, and a stream that the
        catch-up finds finished ends in the consumer's own loop.
        """
        interval = settings.AGENTS["SSE_HEARTBEAT_SECONDS"]
        while True:
            await asyncio.sleep(max(0.05, self.last_sent + interval - time.monotonic()))
            if time.monotonic() - self.last_sent >= interval:
                self.last_sent = time.monotonic()
                try:
                    await self.channel_layer.send(self.channel_name, {"type": "stream.heartbeat"})
                except Exception:
                    # Redis is away: live events are too; try again next beat.
                    logger.warning("Could not schedule the heartbeat of an event stream", exc_info=True)

    # --- Messages from the channel layer and the server ------------------------------------

    async def execution_events(self, message):
        await self.feed.on_events(message)

    async def stream_heartbeat(self, message):
        await self._send_body(PING)
        await self.feed.catch_up()

    def subscriptions(self):
        return set(self.feed.groups) if self.feed is not None else set()

    def stop_work(self):
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        if self.feed is not None:
            self.feed.stop()
