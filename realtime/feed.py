"""The live feed of executions: cursor -> replay -> live -> gap fill -> terminal.

A ``Feed`` belongs to one client connection (a socket, an SSE stream) and
follows any number of executions for it. Following an execution from a
cursor (``after_seq``) joins the execution's channel-layer group **first**,
then replays stored events past the cursor from the database, then forwards
live events as the connection's consumer hands them over. So nothing falls
between replay and live, and anything seen twice at the seam is dropped by
seq. A live event that arrives after a gap (pub/sub dropped a message) makes
the feed replay the gap from the database first; ``catch_up`` (on a status
change, or a transport's heartbeat) replays whatever a lost last message
would have hidden. Every event therefore reaches the client exactly once, in
order, and the feed lets go of an execution once its terminal event is sent.
A terminal event that arrives live is sent only once the database confirms
it: the channel layer is not trusted to say that a run is over (see
ARCHITECTURE.md, "Live messages").

The feed is transport-neutral: it sends each event message (the same dict
as the REST events list) through the ``send`` coroutine it was given, and
tells the transport about a finished execution through ``on_terminal``.
Who may follow what is the transport's check, made before ``follow``.
"""

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async

from contract.events import TERMINAL_TYPES
from runs import events, selectors

from .channel_layer import leave_groups

REPLAY_CHUNK = 2000
# Channel-layer messages that carry live events: the hot path of every consumer.
LIVE_MESSAGES = {"execution.events", "execution.status"}


class LiveDispatch:
    """Consumer mixin: live event messages skip channels' per-message database cleanup.

    Channels closes stale database connections before every handler, a hop
    to the one database thread each time. Live event messages need no
    database (a replay they trigger cleans up after itself), and at
    thousands of events a second, serialized through that one thread, the
    hop was the api's bottleneck.
    """

    async def dispatch(self, message):
        if message["type"] in LIVE_MESSAGES:
            return await getattr(self, get_handler_name(message))(message)
        return await super().dispatch(message)


class Feed:
    def __init__(self, channel_layer, channel_name, send, on_terminal=None):
        self.channel_layer = channel_layer
        self.channel_name = channel_name
        self.send = send
        self.on_terminal = on_terminal
        self.cursors = {}  # execution id -> seq of the last event sent
        # Every group joined and not yet left, followed or not: what the
        # connection must give back when it ends (see ``close``).
        self.groups = set()
        self.replayed = 0  # events sent from the database so far (a transport may bound it)

    def __contains__(self, execution_id):
        return execution_id in self.cursors

    async def join(self, execution_id):
        """Listen to an execution's live events before reading its past (see the module docstring)."""
        group = events.execution_group(execution_id)
        # Counted before asking Redis: a join that failed or was cut short is still let go of.
        self.groups.add(group)
        await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self, execution_id):
        """Stop following an execution (also undoes a ``join`` that was not followed up)."""
        self.cursors.pop(execution_id, None)
        group = events.execution_group(execution_id)
        self.groups.discard(group)
        await self.channel_layer.group_discard(group, self.channel_name)

    async def follow(self, execution_id, after_seq, first_chunk=None):
        """Send every stored event past ``after_seq``, then live ones; ``join`` must come first.

        ``first_chunk`` is the first replay chunk when the caller has read it
        already (with its access check, in one trip to the database).
        """
        self.cursors[execution_id] = after_seq
        await self._replay(execution_id, chunk=first_chunk)

    def stop(self):
        """Follow nothing more: a replay or a live batch in progress sends nothing else.

        The groups stay joined (``groups``) for ``close``, or for the
        transport to leave with its own (``realtime.channel_layer.release_channel``).
        """
        self.cursors.clear()

    async def close(self):
        """Stop, and leave every group joined (each is tried, whatever Redis says to the others)."""
        self.stop()
        groups, self.groups = self.groups, set()
        await leave_groups(self.channel_layer, self.channel_name, groups)

    async def on_events(self, message):
        """An ``execution.events`` channel-layer message: forward what this client has not seen."""
        for event in message.get("events") or ():
            # What the channel layer carries is checked before it is used: a
            # malformed message is skipped rather than crash the connection.
            execution_id = event.get("execution_id") if isinstance(event, dict) else None
            last_seq = self.cursors.get(execution_id) if isinstance(execution_id, str) else None
            seq = event.get("seq") if last_seq is not None else None
            if type(seq) is not int or seq <= last_seq:
                continue
            if seq > last_seq + 1:
                await self._replay(execution_id, before_seq=seq)
                if execution_id not in self.cursors:
                    continue  # the gap held the end
            if event.get("type") in TERMINAL_TYPES and not await self._is_stored(event):
                # Not the end the database holds (a forged or stale message on
                # the channel layer): it must not end the stream. What is stored
                # is sent instead, and live events go on.
                await self._replay(execution_id)
                continue
            await self._sent(execution_id, event)

    @staticmethod
    async def _is_stored(event):
        return await database_sync_to_async(selectors.is_stored_event)(
            event["execution_id"], event["seq"], event["type"]
        )

    async def catch_up(self, execution_ids=None):
        """Replay anything stored past the cursors (all, or these): a lost last message has no successor to reveal it."""
        for execution_id in list(self.cursors if execution_ids is None else execution_ids):
            if execution_id in self.cursors:
                await self._replay(execution_id)

    async def _replay(self, execution_id, before_seq=None, chunk=None):
        while execution_id in self.cursors:
            if chunk is None:
                chunk = await database_sync_to_async(selectors.event_messages_after)(
                    execution_id, self.cursors[execution_id], REPLAY_CHUNK, before_seq
                )
            self.replayed += len(chunk)
            for message in chunk:
                await self._sent(execution_id, message)
            if len(chunk) < REPLAY_CHUNK or execution_id not in self.cursors:
                return
            chunk = None

    async def _sent(self, execution_id, message):
        # A transport's heartbeat may catch up while a live batch is being
        # sent; the cursor, checked again here, keeps each seq to one send.
        last_seq = self.cursors.get(execution_id)
        if last_seq is None or message["seq"] <= last_seq:
            return
        self.cursors[execution_id] = message["seq"]
        await self.send(message)
        if message["type"] in TERMINAL_TYPES:
            await self.leave(execution_id)
            if self.on_terminal is not None:
                await self.on_terminal(execution_id)


async def first_chunk_if_visible(executions, execution_id, after_seq):
    """One trip to the database: the first replay chunk of ``execution_id`` if it is in ``executions``, else None."""
    return await database_sync_to_async(_first_chunk_if_visible)(executions, execution_id, after_seq)


def _first_chunk_if_visible(executions, execution_id, after_seq):
    if not executions.filter(id=execution_id).exists():
        return None
    return selectors.event_messages_after(execution_id, after_seq, REPLAY_CHUNK)
