"""The WebSockets: the agent socket /ws/agents/{agent_id}/ and the user socket /ws/.

Both speak one protocol (``PlatformSocket``): authenticate with the session
cookie or a first ``authenticate`` frame, then ``start_agent``,
``stop_agent``, ``answer_interrupt`` (answered ``interrupt_answered``),
``subscribe``, ``unsubscribe`` and ``ping``. They differ in
what they reach: the agent socket one agent's executions (and it hears of
every status change of that agent), the user socket every execution the
user may see, with ``start_agent`` naming the agent.

Subscriptions are a ``realtime.feed.Feed``: replay past the client's seq,
then live events, each exactly once and in order. Frames are validated by
the REST serializers, and every refusal is a ``PlatformError`` mapped to an
``error`` frame in one place; the connection stays open. So does it while
Redis is down: an action that needs it is answered ``unavailable``.

How a connection ends (promptly, sending nothing after the close, leaving
every group) is ``realtime.lifetime.ConnectionLifetime``.
"""

import asyncio
import logging
import time
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from agents import permissions
from agents.selectors import agents_visible_to
from agents.tokens import user_for_key
from config.errors import check_data, socket_error
from config.limits import MAX_FRAME_BYTES, TooDeep, parse_json, quoted, size_text
from contract.errors import PlatformError
from rooms.selectors import rooms_visible_to
from rooms.serializers import RoomCursorField
from runs import events, selectors, services
from runs.models import Interrupt
from runs.serializers import (
    AnswerSerializer,
    ExecutionCreateSerializer,
    ExecutionSerializer,
    InterruptSerializer,
    ThreadCursorField,
    after_seq_field,
)
from threads.selectors import threads_visible_to

from . import wire
from .channel_layer import UNAVAILABLE_ERRORS
from .feed import TERMINAL_STATUSES, Feed, LiveDispatch, RoomFeed, ThreadFeed, first_chunk_if_visible
from .lifetime import ConnectionLifetime, carried_out, detach

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_TRY_AGAIN_LATER = 1013
# Executions one connection follows at once; each costs a group membership in Redis.
MAX_SUBSCRIPTIONS = 100
# Stored events a connection may have replayed to it: REPLAY_BURST at once,
# then REPLAY_RATE a second. A subscription always replays in full; once the
# allowance is spent, the next one is refused until it has grown back.
REPLAY_BURST = 50_000
REPLAY_RATE = 5_000


class ExecutionFrame(serializers.Serializer):
    execution_id = serializers.UUIDField()


class SubscribeFrame(ExecutionFrame):
    after_seq = after_seq_field()


STREAM_NAMES = "A stream is named thread:<thread id> or room:<room id>, or is runs (every run you may see)."
# The stream of the runs view: a status message whenever a run the user may see is created or moves.
RUNS_STREAM = "runs"
# How each kind of stream reads a cursor.
STREAM_CURSORS = {"thread": ThreadCursorField, "room": RoomCursorField}


class UnsubscribeStreamFrame(serializers.Serializer):
    """A thread's or a room's stream: ``stream`` ``thread:<id>`` or ``room:<id>``; validated as (kind, id)."""

    stream = serializers.RegexField(
        r"^(thread|room):[0-9a-fA-F-]{36}$", max_length=43, error_messages={"invalid": STREAM_NAMES}
    )

    def validate_stream(self, value):
        kind, object_id = value.split(":", 1)
        try:
            return kind, str(uuid.UUID(object_id))
        except ValueError:
            raise serializers.ValidationError(STREAM_NAMES) from None


class StreamFrame(UnsubscribeStreamFrame):
    """Following a stream from ``cursor`` (a message's, or none: the start); a cursor of its own kind."""

    cursor = serializers.JSONField(required=False)

    def validate(self, data):
        if "cursor" in data:
            field = STREAM_CURSORS[data["stream"][0]]()
            try:
                data["cursor"] = field.run_validation(data["cursor"])
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"cursor": error.detail}) from None
        return data


class StartFrame(ExecutionCreateSerializer):
    agent_id = serializers.UUIDField()


class AnswerFrame(AnswerSerializer):
    interrupt_id = serializers.UUIDField()


class NotFound(PlatformError):
    code = "not_found"
    status = 404


class Unavailable(PlatformError):
    """Redis cannot be reached: the action may work in a moment. Names the execution it concerns, if any."""

    code = "unavailable"
    status = 503

    def __init__(self, message, execution_id=None):
        super().__init__(message)
        self.execution_id = execution_id

    def as_dict(self):
        body = super().as_dict()
        if self.execution_id is not None:
            body["execution_id"] = self.execution_id
        return body


REDIS_DOWN = "Live messages are unavailable right now (Redis cannot be reached)"


class PlatformSocket(ConnectionLifetime, LiveDispatch, AsyncJsonWebsocketConsumer):
    """The socket protocol; subclasses say which executions and agents a connection reaches."""

    start_frame = ExecutionCreateSerializer
    # Whether ``subscribe`` takes a thread's ``stream`` (the user socket's).
    streams = False
    user = feed = runs_group = None
    _auth_timeout = None

    @classmethod
    async def encode_json(cls, content):
        return wire.dumps(content).decode()

    async def connect(self):
        self.user = None
        self.feed = Feed(self.channel_layer, self.channel_name, self.send_json)
        self.thread_feeds = {}  # thread id -> ThreadFeed, on the user socket
        self.room_feeds = {}  # room id -> RoomFeed, on the user socket
        self.replay_allowance = Allowance(REPLAY_BURST, REPLAY_RATE)
        self._auth_timeout = None
        await self.accept()
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await self._admit(user)
        else:
            self._auth_timeout = asyncio.get_running_loop().call_later(
                settings.AGENTS["WS_AUTH_TIMEOUT"],
                lambda: asyncio.ensure_future(self._close_unauthenticated()),
            )

    def subscriptions(self):
        return set(self.feed.groups) if self.feed is not None else set()

    def stop_work(self):
        if self._auth_timeout:
            self._auth_timeout.cancel()
        if self.feed is not None:
            self.feed.stop()
        for stream_feed in self._stream_feeds():
            stream_feed.stop()

    def after_close(self, message):
        # A stop sent just before the close (a user stopping a run and
        # leaving the page) still happens; the rest needed the client.
        text = message.get("text") if message.get("type") == "websocket.receive" else None
        if self.user is None or not isinstance(text, str) or len(text) > MAX_FRAME_BYTES:
            return
        try:
            content = parse_json(text)
            if isinstance(content, dict) and content.get("action") == "stop_agent":
                execution_id = str(check_data(ExecutionFrame, content)["execution_id"])
                detach(database_sync_to_async(self._stop)(execution_id))
        except (ValueError, PlatformError):
            pass

    # --- What a subclass decides ----------------------------------------------------------

    async def admitted(self, user):
        """Called once authenticated: send the greeting, or return False to refuse (4003)."""
        raise NotImplementedError

    def executions(self):
        """The executions this connection may follow and stop (a queryset)."""
        return selectors.executions_visible_to(self.user)

    def agent_to_start(self, frame):
        """The id of the agent a ``start_agent`` frame starts."""
        raise NotImplementedError

    # --- Frames from the client ---------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        size = len(text_data if text_data is not None else bytes_data or b"")
        if size > MAX_FRAME_BYTES:
            return await self.send_error(
                PlatformError(f"A frame may be at most {size_text(MAX_FRAME_BYTES)} (got {size_text(size)}).",
                              "frame_too_large")
            )
        try:
            content = parse_json(text_data) if text_data is not None else None
        except TooDeep as error:
            return await self.send_error(PlatformError(str(error), "invalid_json"))
        except ValueError:
            return await self.send_error(PlatformError("Frames must be valid JSON.", "invalid_json"))
        if not isinstance(content, dict):
            return await self.send_error(
                PlatformError("A frame must be a JSON object with an 'action'.", "invalid_frame")
            )
        action = content.get("action")
        if self.user is None:
            return await self._authenticate(content) if action == "authenticate" else await self._close_unauthenticated()
        handler = self.actions.get(action) if isinstance(action, str) else None
        try:
            if handler is None:
                raise PlatformError(f"Unknown action {quoted(action)}.", "unknown_action")
            await handler(self, content)
        except PlatformError as error:
            await self.send_error(error)
        except UNAVAILABLE_ERRORS as error:
            logger.warning("Socket action %s failed: Redis is unavailable (%r)", action, error)
            await self.send_error(Unavailable(f"{REDIS_DOWN}: try again in a moment."))

    async def start_agent(self, content):
        frame = check_data(self.start_frame, content)
        # Started even if the client leaves meanwhile: it asked for the run.
        execution = await carried_out(
            database_sync_to_async(self._start)(self.agent_to_start(frame), frame["input_data"], frame["on_limit"])
        )
        created = {"type": "execution_created", "execution": ExecutionSerializer(execution).data}
        # DRF's renderer: the serializer's UUIDs and datetimes come out as in REST.
        await self.send(text_data=JSONRenderer().render(created).decode())
        execution_id = str(execution.id)
        try:
            await self.feed.join(execution_id)
        except UNAVAILABLE_ERRORS as error:
            # The execution is stored and will run; only following it live failed.
            logger.warning("Could not follow new execution %s: Redis is unavailable (%r)", execution_id, error)
            await self._forget(execution_id)
            raise Unavailable(
                f"Execution {execution_id} was created, but live messages are unavailable right now "
                "(Redis cannot be reached): subscribe to it in a moment.",
                execution_id=execution_id,
            ) from None
        await self.feed.follow(execution_id, 0)

    def _start(self, agent_id, input_data, on_limit):
        # Read fresh: the agent may have been deactivated or deleted since the socket opened.
        agent = agents_visible_to(self.user).filter(id=agent_id).first()
        if agent is None:
            raise NotFound("No such agent.")
        permissions.check_may_change(self.user, agent.owner_id, permissions.START_EXECUTION)
        return services.start_execution(agent, input_data, wait_for_slot=on_limit == "wait")

    async def stop_agent(self, content):
        execution_id = str(check_data(ExecutionFrame, content)["execution_id"])
        # Carried out even if the client leaves meanwhile: a stop must not be lost.
        await carried_out(database_sync_to_async(self._stop)(execution_id))

    def _stop(self, execution_id):
        execution = self.executions().select_related("agent").filter(id=execution_id).first()
        if execution is None:
            raise NotFound("No such execution.")
        permissions.check_may_change(self.user, execution.agent.owner_id, permissions.STOP_EXECUTION)
        services.stop_execution(execution)

    async def answer_interrupt(self, content):
        frame = check_data(AnswerFrame, content)
        # Carried out even if the client leaves meanwhile, like a stop: the person answered.
        answered = await carried_out(
            database_sync_to_async(self._answer)(str(frame["interrupt_id"]), frame["answer"])
        )
        await self.send(text_data=JSONRenderer().render({"type": "interrupt_answered", "interrupt": answered}).decode())

    def _answer(self, interrupt_id, answer):
        reachable = Interrupt.objects.filter(execution__in=self.executions()).select_related("execution__agent")
        interrupt = reachable.filter(id=interrupt_id).first()
        if interrupt is None:
            raise NotFound("No such interrupt.")
        permissions.check_may_change(self.user, interrupt.execution.agent.owner_id, permissions.ANSWER_INTERRUPT)
        services.answer_interrupt(interrupt, answer, self.user)
        return InterruptSerializer(reachable.select_related("answered_by").get(id=interrupt_id)).data

    async def subscribe(self, content):
        if "stream" in content:
            return await self._subscribe_stream(content)
        frame = check_data(SubscribeFrame, content)
        execution_id, after_seq = str(frame["execution_id"]), frame["after_seq"]
        self._check_may_follow(execution_id in self.feed, execution_id)
        # Join first: an event committed after the replay query is then sure
        # to arrive live. Nothing reaches the client before the access check:
        # live messages wait until this handler returns, and only followed
        # executions' events are sent.
        try:
            await self.feed.join(execution_id)
        except UNAVAILABLE_ERRORS as error:
            logger.warning("Could not subscribe to %s: Redis is unavailable (%r)", execution_id, error)
            if execution_id not in self.feed:
                await self._forget(execution_id)
            raise Unavailable(
                f"{REDIS_DOWN}: subscribe to {execution_id} again in a moment.", execution_id=execution_id
            ) from None
        first_chunk = await first_chunk_if_visible(self.executions(), execution_id, after_seq)
        if first_chunk is None:
            if execution_id not in self.feed:
                await self.feed.leave(execution_id)
            raise NotFound("No such execution.")
        replayed = self.feed.replayed
        await self.feed.follow(execution_id, after_seq, first_chunk)
        self.replay_allowance.spend(self.feed.replayed - replayed)

    def _check_may_follow(self, already, name):
        # A few bytes of subscribe may replay thousands of events: bounded per
        # connection, so no client can make the server flood itself.
        if not already and len(self.feed.cursors) + len(self.thread_feeds) + len(self.room_feeds) >= MAX_SUBSCRIPTIONS:
            raise PlatformError(
                f"A connection follows at most {MAX_SUBSCRIPTIONS} executions and streams: unsubscribe from one "
                "first.",
                "too_many_subscriptions",
            )
        if not self.replay_allowance.available():
            raise PlatformError(
                f"Too many events replayed on this connection in a short time: subscribe to {name} "
                "again in a few seconds.",
                "rate_limited",
            )

    async def _subscribe_stream(self, content):
        try:
            await self._follow_stream(content)
        except PlatformError as error:
            # Said in the error frame: a client following several streams knows which one was refused.
            stream = content["stream"]
            error.stream = stream if isinstance(stream, str) and len(stream) <= 43 else None
            raise

    async def _follow_stream(self, content):
        if not self.streams:
            raise PlatformError("A thread's or a room's stream is followed on the user socket, /ws/.", "invalid_frame")
        if content["stream"] == RUNS_STREAM:
            return await self._follow_runs()
        frame = check_data(StreamFrame, content)
        kind, object_id = frame["stream"]
        stream = f"{kind}:{object_id}"
        feeds = self._feeds_of(kind)
        previous = feeds.get(object_id)
        self._check_may_follow(previous is not None, stream)
        if not await database_sync_to_async(self._may_follow_stream)(kind, object_id):
            raise NotFound(f"No such {kind}.")
        # A new subscription to a stream followed already starts over from its cursor.
        if previous is not None:
            await previous.leave()
        if kind == "thread":
            stream_feed = ThreadFeed(object_id, self.feed.memberships, self.send_json)
        else:
            stream_feed = RoomFeed(object_id, self.feed.memberships, self.send_json, on_end=self._room_ended)
        feeds[object_id] = stream_feed
        try:
            await stream_feed.join()
        except UNAVAILABLE_ERRORS as error:
            logger.warning("Could not subscribe to %s: Redis is unavailable (%r)", stream, error)
            await self._forget_stream(kind, object_id)
            raise Unavailable(f"{REDIS_DOWN}: subscribe to {stream} again in a moment.") from None
        await stream_feed.follow(frame.get("cursor"))
        self.replay_allowance.spend(stream_feed.replayed)

    async def _follow_runs(self):
        # Status changes only, no replay: the runs view reads its rows over REST
        # and asks again after a reconnect.
        if self.runs_group is None:
            self.runs_group = events.RUNS_ALL_GROUP if self.user.is_staff else events.runs_group(self.user.pk)
        try:
            await self.feed.memberships.add(self.runs_group)
        except UNAVAILABLE_ERRORS as error:
            logger.warning("Could not subscribe to the runs: Redis is unavailable (%r)", error)
            await self._forget_runs()
            raise Unavailable(f"{REDIS_DOWN}: subscribe to the runs again in a moment.") from None

    async def _forget_runs(self):
        group, self.runs_group = self.runs_group, None
        if group is not None:
            try:
                await self.feed.memberships.discard(group)
            except UNAVAILABLE_ERRORS:
                pass

    def _feeds_of(self, kind):
        return self.thread_feeds if kind == "thread" else self.room_feeds

    def _stream_feeds(self):
        return [*self.thread_feeds.values(), *self.room_feeds.values()]

    def _may_follow_stream(self, kind, object_id):
        visible = threads_visible_to(self.user) if kind == "thread" else rooms_visible_to(self.user)
        return visible.filter(id=object_id).exists()

    async def _forget_stream(self, kind, object_id):
        stream_feed = self._feeds_of(kind).pop(object_id, None)
        if stream_feed is not None:
            try:
                await stream_feed.leave()
            except UNAVAILABLE_ERRORS:
                pass

    async def _room_ended(self, room_id):
        # Its feed has let go of the room: the stream is over, and no longer counts as followed.
        self.room_feeds.pop(room_id, None)

    async def unsubscribe(self, content):
        if self.streams and content.get("stream") == RUNS_STREAM:
            return await self._forget_runs()
        if self.streams and "stream" in content:
            kind, object_id = check_data(UnsubscribeStreamFrame, content)["stream"]
            stream_feed = self._feeds_of(kind).pop(object_id, None)
            if stream_feed is not None:
                await stream_feed.leave()
            return
        execution_id = str(check_data(ExecutionFrame, content)["execution_id"])
        if execution_id in self.feed:
            await self.feed.leave(execution_id)

    async def ping(self, content):
        await self.send_json({"type": "pong"})
        # The streams' heartbeat: a lost last message of a room or a thread
        # has no successor to reveal it, so each ping looks in the database.
        for stream_feed in self._stream_feeds():
            await stream_feed.catch_up()

    async def already_authenticated(self, content):
        raise PlatformError("This connection is already authenticated.", "already_authenticated")

    actions = {
        "start_agent": start_agent,
        "stop_agent": stop_agent,
        "answer_interrupt": answer_interrupt,
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
        "ping": ping,
        "authenticate": already_authenticated,
    }

    # --- Messages from the channel layer -------------------------------------------------

    async def execution_events(self, message):
        await self.feed.on_events(message)
        for thread_feed in list(self.thread_feeds.values()):
            await thread_feed.feed.on_events(message)

    async def room_events(self, message):
        for room_feed in list(self.room_feeds.values()):
            await room_feed.on_events(message)

    async def runs_status(self, message):
        if self.runs_group is not None:
            await self.send_json({
                "type": "execution_status", "stream": RUNS_STREAM,
                **{key: message[key] for key in ("execution_id", "agent_id", "thread_id", "room_id", "status")},
            })

    async def execution_status(self, message):
        execution_id = message["execution_id"]
        if message["status"] in TERMINAL_STATUSES and execution_id in self.feed:
            # Pub/sub can drop a message; a lost last event would have no
            # successor to reveal the gap, so the end of a run is checked here.
            await self.feed.catch_up([execution_id])
        status = {"type": "execution_status", "execution_id": execution_id, "status": message["status"]}
        thread_feed = self.thread_feeds.get(message.get("thread_id"))
        if thread_feed is not None:
            # From the thread's group: a run of a followed thread was created or changed.
            status["stream"] = thread_feed.stream
            await thread_feed.on_run(message)
        await self.send_json(status)

    # --- Helpers ---------------------------------------------------------------------------

    async def send_error(self, error):
        frame = socket_error(error)
        if getattr(error, "stream", None):
            frame["stream"] = error.stream
        await self.send_json(frame)

    async def _forget(self, execution_id):
        """Undo a join that Redis refused, as far as it lets us now (the rest goes at the close)."""
        try:
            await self.feed.leave(execution_id)
        except UNAVAILABLE_ERRORS:
            pass

    async def _authenticate(self, content):
        user = await database_sync_to_async(user_for_key)(content.get("token"))
        if user is None:
            return await self._close_unauthenticated()
        if self._auth_timeout:
            self._auth_timeout.cancel()
        await self._admit(user)

    async def _close_unauthenticated(self):
        if self.user is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _admit(self, user):
        try:
            admitted = await self.admitted(user)
        except UNAVAILABLE_ERRORS as error:
            # Without its groups the connection would hear nothing live; come back later.
            logger.warning("Could not admit a socket: Redis is unavailable (%r)", error)
            await self.send_error(Unavailable(f"{REDIS_DOWN}: connect again in a moment."))
            return await self.close(code=CLOSE_TRY_AGAIN_LATER)
        if admitted is False:
            return await self.close(code=CLOSE_FORBIDDEN)
        self.user = user


class AgentConsumer(PlatformSocket):
    """/ws/agents/{agent_id}/: one agent's executions, and its status changes."""

    agent_group = None

    async def admitted(self, user):
        agent_id = self.scope["url_route"]["kwargs"]["agent_id"]
        agent = await database_sync_to_async(_visible_agent)(user, agent_id)
        if agent is None:
            # Someone else's agent and a missing one look the same.
            return False
        self.agent_id = str(agent.id)
        # Counted before asking Redis, like the feed's groups.
        self.agent_group = events.agent_group(self.agent_id)
        await self.channel_layer.group_add(self.agent_group, self.channel_name)
        await self.send_json({"type": "connection", "status": "connected", "agent_id": self.agent_id})

    def subscriptions(self):
        return super().subscriptions() | ({self.agent_group} if self.agent_group else set())

    def executions(self):
        return super().executions().filter(agent_id=self.agent_id)

    def agent_to_start(self, frame):
        return self.agent_id


class UserConsumer(PlatformSocket):
    """/ws/: every execution the user may see, and their threads' streams; ``start_agent`` names its ``agent_id``."""

    start_frame = StartFrame
    streams = True

    async def admitted(self, user):
        await self.send_json({"type": "connection", "status": "connected", "user": user.get_username()})

    def agent_to_start(self, frame):
        return frame["agent_id"]


class Allowance:
    """A token bucket: ``burst`` at most, growing back by ``rate`` a second; spending may overdraw it."""

    def __init__(self, burst, rate):
        self.burst, self.rate = burst, rate
        self.left, self.updated = float(burst), time.monotonic()

    def available(self):
        now = time.monotonic()
        self.left = min(self.burst, self.left + (now - self.updated) * self.rate)
        self.updated = now
        return self.left > 0

    def spend(self, amount):
        self.left -= amount


def _visible_agent(user, agent_id):
    try:
        return agents_visible_to(user).filter(id=agent_id).first()
    except (ValueError, TypeError, ValidationError):
        return None
