"""Server-sent events: ``GET /api/executions/{id}/stream/``, ``/api/threads/{id}/stream/``, ``/api/rooms/{id}/stream/``.

Each event is one frame, the same JSON as the WebSocket message::

    event: <message type>
    id: <seq>  (a thread's stream: the message's cursor)
    data: <JSON>

A client resumes with ``Last-Event-ID`` (what EventSource sends by itself
on reconnect) or ``?after_seq=`` (a thread's: ``?cursor=``); the stream
replays what it missed, then follows live through its ``Feed`` (a thread's
``ThreadFeed``), sends a ``: ping`` comment after ``SSE_HEARTBEAT_SECONDS``
of silence (each ping also checks the database for what pub/sub may have
dropped), and ends after the execution's terminal event; a thread's stays
open for its next runs; a room's (``?cursor=``, its ``RoomFeed``) ends after
the room's end. Authentication and ownership are REST's: a session cookie or
``Authorization: Token <key>``; missing credentials are 401, someone else's
execution is 404, bad input 400, all as JSON.

This is an ASGI consumer on the api's event loop, not a Django view: an open
stream costs a coroutine, never one of the threads that serve requests.
"""

import asyncio
import json
import logging
import time
from functools import partial
from urllib.parse import parse_qs

from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from django.conf import settings
from rest_framework import serializers

from config.errors import check_data, rest_body
from contract.errors import PlatformError
from rooms.selectors import rooms_visible_to
from rooms.serializers import RoomStreamQuery
from runs import selectors
from runs.serializers import ThreadCursorField, after_seq_field
from threads.selectors import threads_visible_to

from . import wire
from .auth import user_for_scope
from .feed import Feed, LiveDispatch, Memberships, RoomFeed, ThreadFeed, first_chunk_if_visible
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


class ThreadStreamQuery(serializers.Serializer):
    cursor = ThreadCursorField(required=False)


def encode_frame(message, frame_id):
    return f"event: {message['type']}\nid: {frame_id}\ndata: ".encode() + wire.dumps(message) + b"\n\n"


class EventStreamConsumer(ConnectionLifetime, LiveDispatch, AsyncConsumer):
    """One SSE stream; its end (the client gone, or the stream's own) is
    ``realtime.lifetime.ConnectionLifetime``'s. A subclass says what it follows."""

    feed = heartbeat = None
    # The query parameter (and the meaning of Last-Event-ID) that resumes the stream.
    resume_from = None

    async def http_request(self, message):
        if message.get("more_body"):
            return  # a GET has no body worth reading; wait for its end
        try:
            if self.scope["method"] != "GET":
                raise PlatformError(
                    f"Method \"{self.scope['method']}\" not allowed.", "method_not_allowed", status=405
                )
            user = await database_sync_to_async(user_for_scope)(self.scope)
            if user is None:
                raise PlatformError("Authentication credentials were not provided.", "not_authenticated", status=401)
            follow = await self.admit(user, self.scope["url_route"]["kwargs"])
        except PlatformError as error:
            return await self._refuse(error)
        await self.send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        # A comment sends the headers now (they leave with the first body):
        # a client sees the stream open even before an event.
        await self._send_body(OPENED)
        await follow()
        self.heartbeat = asyncio.ensure_future(self._beat())

    async def admit(self, user, kwargs):
        """Check the request, join what must be joined first; returns the coroutine function that starts sending."""
        raise NotImplementedError

    def frame_id(self, message):
        raise NotImplementedError

    async def catch_up(self):
        """On each heartbeat: send what lost live messages would have carried."""
        await self.feed.catch_up()

    def resume_point(self):
        """``{resume_from: value}`` from the query string and ``Last-Event-ID`` (which wins), or {}."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        point = {self.resume_from: query[self.resume_from][-1]} if self.resume_from in query else {}
        # EventSource resends the last id it saw; it wins over the query string.
        value = dict(self.scope.get("headers") or []).get(b"last-event-id")
        if value:
            point[self.resume_from] = value.decode("latin-1").strip()
        return point

    async def _refuse(self, error):
        headers = [(b"content-type", b"application/json")]
        if error.status == 401:
            headers.append((b"www-authenticate", b"Token"))
        await self.send({"type": "http.response.start", "status": error.status, "headers": headers})
        await self.send({"type": "http.response.body", "body": json.dumps(rest_body(error)).encode()})
        raise StopConsumer()

    async def _send_event(self, message):
        await self._send_body(encode_frame(message, self.frame_id(message)))

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
        await self.catch_up()

    def subscriptions(self):
        return set(self.feed.groups) if self.feed is not None else set()

    def stop_work(self):
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        if self.feed is not None:
            self.feed.stop()


class ExecutionStreamConsumer(EventStreamConsumer):
    """``/api/executions/{id}/stream/``: ends after the execution's terminal event."""

    resume_from = "after_seq"

    async def admit(self, user, kwargs):
        self.feed = Feed(self.channel_layer, self.channel_name, self._send_event, on_terminal=self._finished)
        execution_id = str(kwargs["execution_id"])
        after_seq = check_data(StreamQuery, self.resume_point())["after_seq"]
        # Joined before the first chunk is read: see Feed.
        await self.feed.join(execution_id)
        first_chunk = await first_chunk_if_visible(selectors.executions_visible_to(user), execution_id, after_seq)
        if first_chunk is None:
            await self.feed.leave(execution_id)
            raise PlatformError("Not found.", "not_found", status=404)
        return partial(self.feed.follow, execution_id, after_seq, first_chunk)

    def frame_id(self, message):
        return message["seq"]


class ThreadStreamConsumer(EventStreamConsumer):
    """``/api/threads/{id}/stream/``: every run of the thread, one after another; stays open."""

    resume_from = "cursor"
    thread_feed = None

    async def admit(self, user, kwargs):
        thread_id = str(kwargs["thread_id"])
        cursor = check_data(ThreadStreamQuery, self.resume_point()).get("cursor")
        if not await database_sync_to_async(threads_visible_to(user).filter(id=thread_id).exists)():
            raise PlatformError("Not found.", "not_found", status=404)
        memberships = Memberships(self.channel_layer, self.channel_name)
        self.thread_feed = ThreadFeed(thread_id, memberships, self._send_event)
        self.feed = self.thread_feed.feed
        await self.thread_feed.join()
        return partial(self.thread_feed.follow, cursor)

    def frame_id(self, message):
        return message["cursor"]

    async def catch_up(self):
        await self.thread_feed.catch_up()

    async def execution_status(self, message):
        # From the thread's group: one of its runs was created or changed.
        await self.thread_feed.on_run(message)

    def stop_work(self):
        super().stop_work()
        if self.thread_feed is not None:
            self.thread_feed.stop()


class RoomStreamConsumer(EventStreamConsumer):
    """``/api/rooms/{id}/stream/``: the room's log, its own events and its turns', in one order; ends with the room."""

    resume_from = "cursor"
    room_feed = None

    async def admit(self, user, kwargs):
        room_id = str(kwargs["room_id"])
        cursor = check_data(RoomStreamQuery, self.resume_point()).get("cursor", 0)
        if not await database_sync_to_async(rooms_visible_to(user).filter(id=room_id).exists)():
            raise PlatformError("Not found.", "not_found", status=404)
        memberships = Memberships(self.channel_layer, self.channel_name)
        self.room_feed = RoomFeed(room_id, memberships, self._send_event, on_end=self._finished)
        self.feed = self.room_feed.feed
        await self.room_feed.join()
        return partial(self.room_feed.follow, cursor)

    def frame_id(self, message):
        return message["cursor"]

    async def room_events(self, message):
        await self.room_feed.on_events(message)
