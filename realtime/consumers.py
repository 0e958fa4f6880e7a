"""AgentConsumer: the WebSocket at /ws/agents/{agent_id}/.

Clients start and stop executions of one agent and subscribe to their
events. A subscription replays stored events past the client's last seq and
then forwards live ones; because the socket joins the execution's group
before it reads the database, nothing falls between the two, and anything
seen twice at the seam is dropped by seq. A live event that arrives after a
gap (a lost channel-layer message) triggers a replay of the gap first, so a
subscriber always gets every event exactly once, in order.
"""

import asyncio
import json
import uuid

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer

from agents.selectors import agents_visible_to
from runs import events, selectors, services
from runs.models import AgentExecution
from runs.serializers import ExecutionSerializer

TERMINAL_STATUSES = {str(status) for status in AgentExecution.TERMINAL_STATUSES}
LIVE_MESSAGES = {"execution.events", "execution.status"}
CLOSE_UNAUTHENTICATED = 4001
CLOSE_FORBIDDEN = 4003
REPLAY_CHUNK = 2000


class FrameError(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.message, self.code = message, code


def check_uuid(content, field):
    value = content.get(field)
    if value is None:
        raise FrameError(f"'{field}' is required.", "missing_field")
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise FrameError(f"'{field}' is not a valid id.", "invalid_field") from None


def check_after_seq(content):
    value = content.get("after_seq", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FrameError("'after_seq' must be a non-negative integer.", "invalid_field")
    return value


def check_input_data(content):
    value = content.get("input_data", {})
    if not isinstance(value, dict):
        raise FrameError("'input_data' must be a JSON object.", "invalid_field")
    return value


class AgentConsumer(AsyncJsonWebsocketConsumer):
    @classmethod
    async def encode_json(cls, content):
        # Messages are plain JSON types (event messages are built that way),
        # and this runs once per event sent, so no custom encoder.
        return json.dumps(content, separators=(",", ":"))

    async def connect(self):
        self.user = None
        self.agent = None
        self.subscriptions = {}  # execution id -> seq of the last event sent
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

    async def disconnect(self, code):
        if self._auth_timeout:
            self._auth_timeout.cancel()
        if self.agent is not None:
            await self.channel_layer.group_discard(events.agent_group(self.agent.id), self.channel_name)
        for execution_id in self.subscriptions:
            await self.channel_layer.group_discard(events.execution_group(execution_id), self.channel_name)

    # --- Frames from the client ---------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            return await self.send_error("Frames must be valid JSON.", "invalid_json")
        if not isinstance(content, dict):
            return await self.send_error("A frame must be a JSON object with an 'action'.", "invalid_frame")
        action = content.get("action")
        if self.user is None:
            return await self._authenticate(content) if action == "authenticate" else await self._close_unauthenticated()
        handler = self.actions.get(action) if isinstance(action, str) else None
        if handler is None:
            return await self.send_error(f"Unknown action {action!r}.", "unknown_action")
        try:
            await handler(self, content)
        except FrameError as error:
            await self.send_error(error.message, error.code)

    async def start_agent(self, content):
        input_data = check_input_data(content)
        try:
            execution = await database_sync_to_async(services.start_execution)(self.agent, input_data)
        except services.AgentInactive as error:
            raise FrameError(error.message, "agent_inactive") from None
        created = {"type": "execution_created", "execution": ExecutionSerializer(execution).data}
        # DRF's renderer: the serializer's UUIDs and datetimes come out as in REST.
        await self.send(text_data=JSONRenderer().render(created).decode())
        await self._subscribe(str(execution.id), 0)

    async def stop_agent(self, content):
        execution = await self._find_execution(check_uuid(content, "execution_id"))
        await database_sync_to_async(services.stop_execution)(execution)

    async def subscribe(self, content):
        execution_id = check_uuid(content, "execution_id")
        after_seq = check_after_seq(content)
        await self._subscribe(execution_id, after_seq, check_access=True)

    async def unsubscribe(self, content):
        execution_id = check_uuid(content, "execution_id")
        if self.subscriptions.pop(execution_id, None) is not None:
            await self.channel_layer.group_discard(events.execution_group(execution_id), self.channel_name)

    async def ping(self, content):
        await self.send_json({"type": "pong"})

    async def already_authenticated(self, content):
        raise FrameError("This connection is already authenticated.", "already_authenticated")

    actions = {
        "start_agent": start_agent,
        "stop_agent": stop_agent,
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
        "ping": ping,
        "authenticate": already_authenticated,
    }

    # --- Messages from the channel layer -------------------------------------------------

    async def dispatch(self, message):
        # Channels closes stale database connections before every handler,
        # a hop to the one database thread each time. Live event messages
        # need no database (a replay they trigger cleans up after itself),
        # and at thousands of events a second, serialized through that one
        # thread, the hop was the api's bottleneck.
        if message["type"] in LIVE_MESSAGES:
            return await getattr(self, get_handler_name(message))(message)
        return await super().dispatch(message)

    async def execution_events(self, message):
        for event in message["events"]:
            execution_id = event["execution_id"]
            last_seq = self.subscriptions.get(execution_id)
            if last_seq is None or event["seq"] <= last_seq:
                continue
            if event["seq"] > last_seq + 1:
                await self._replay(execution_id, before_seq=event["seq"])
            await self.send_json(event)
            self.subscriptions[execution_id] = event["seq"]

    async def execution_status(self, message):
        execution_id = message["execution_id"]
        if execution_id in self.subscriptions and message["status"] in TERMINAL_STATUSES:
            # Pub/sub can drop a message; a lost last event would have no
            # successor to reveal the gap, so the end of a run is checked here.
            await self._replay(execution_id)
        await self.send_json({"type": "execution_status", "execution_id": execution_id, "status": message["status"]})

    # --- Helpers ---------------------------------------------------------------------------

    async def send_error(self, message, code):
        await self.send_json({"type": "error", "message": message, "code": code})

    async def _authenticate(self, content):
        user = await database_sync_to_async(_user_for_token)(content.get("token"))
        if user is None:
            return await self._close_unauthenticated()
        if self._auth_timeout:
            self._auth_timeout.cancel()
        await self._admit(user)

    async def _close_unauthenticated(self):
        if self.user is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _admit(self, user):
        agent = await database_sync_to_async(_agent_for)(user, self.scope["url_route"]["kwargs"]["agent_id"])
        if agent is None:
            # Someone else's agent and a missing one look the same.
            return await self.close(code=CLOSE_FORBIDDEN)
        self.user, self.agent = user, agent
        await self.channel_layer.group_add(events.agent_group(agent.id), self.channel_name)
        await self.send_json({"type": "connection", "status": "connected", "agent_id": str(agent.id)})

    async def _find_execution(self, execution_id):
        execution = await database_sync_to_async(_execution_for)(self.user, self.agent, execution_id)
        if execution is None:
            raise FrameError("No such execution of this agent.", "not_found")
        return execution

    async def _subscribe(self, execution_id, after_seq, check_access=False):
        # Join the group first: an event committed after the replay query is
        # then certain to arrive live. Nothing reaches the client before the
        # access check, since live messages wait until this handler returns
        # and only subscribed executions' events are sent.
        group = events.execution_group(execution_id)
        await self.channel_layer.group_add(group, self.channel_name)
        first_chunk = None
        if check_access:
            # One trip to the database for the check and the first chunk.
            first_chunk = await database_sync_to_async(_first_chunk_if_visible)(
                self.user, self.agent, execution_id, after_seq
            )
            if first_chunk is None:
                if execution_id not in self.subscriptions:
                    await self.channel_layer.group_discard(group, self.channel_name)
                raise FrameError("No such execution of this agent.", "not_found")
        self.subscriptions[execution_id] = after_seq
        await self._replay(execution_id, chunk=first_chunk)

    async def _replay(self, execution_id, before_seq=None, chunk=None):
        """Send stored events past the last one sent, starting with ``chunk`` if already read."""
        while True:
            if chunk is None:
                chunk = await database_sync_to_async(selectors.event_messages_after)(
                    execution_id, self.subscriptions[execution_id], REPLAY_CHUNK, before_seq
                )
            for message in chunk:
                await self.send_json(message)
            if chunk:
                self.subscriptions[execution_id] = chunk[-1]["seq"]
            if len(chunk) < REPLAY_CHUNK:
                return
            chunk = None


def _user_for_token(key):
    if not isinstance(key, str) or not key:
        return None
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else None


def _agent_for(user, agent_id):
    try:
        return agents_visible_to(user).filter(id=agent_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def _execution_for(user, agent, execution_id):
    return _visible_executions(user, agent, execution_id).first()


def _first_chunk_if_visible(user, agent, execution_id, after_seq):
    """The first replay chunk of an execution the user may follow on this socket, or None."""
    if not _visible_executions(user, agent, execution_id).exists():
        return None
    return selectors.event_messages_after(execution_id, after_seq, REPLAY_CHUNK)


def _visible_executions(user, agent, execution_id):
    return selectors.executions_visible_to(user).filter(id=execution_id, agent=agent)


