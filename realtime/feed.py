"""The live feed of executions: cursor -> replay -> live -> gap fill -> terminal.

A ``Feed`` belongs to one client connection (a socket, an SSE stream) and
follows any number of executions for it (or of another numbered log: a
room's, ``RoomLog``). Following an execution from a
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
from rooms import log as room_log
from runs import events, selectors
from runs.models import AgentExecution

from .channel_layer import leave_groups

REPLAY_CHUNK = 2000
TERMINAL_STATUSES = {str(status) for status in AgentExecution.TERMINAL_STATUSES}
# Channel-layer messages that carry live events: the hot path of every consumer.
LIVE_MESSAGES = {"execution.events", "execution.status", "room.events", "runs.status"}


class ExecutionLog:
    """What a ``Feed`` follows by default: executions' events, each execution numbered by ``seq``.

    Another numbered log (a room's, ``RoomLog``) plugs in by saying the same
    things: the channel-layer group of an entry's source, which fields of a
    message name it and number it, how to read stored messages, which types
    end it, and whether such an end is stored.
    """

    key = "execution_id"
    seq = "seq"
    terminal_types = TERMINAL_TYPES
    group = staticmethod(events.execution_group)
    read = staticmethod(selectors.event_messages_after)

    @staticmethod
    def is_stored(message):
        return selectors.is_stored_event(message["execution_id"], message["seq"], message["type"])


class RoomLog(ExecutionLog):
    """A room's log (``rooms.log``): its own events and its turns', in one sequence (``room_seq``)."""

    key = "room_id"
    seq = "room_seq"
    terminal_types = room_log.ENDED_TYPES
    group = staticmethod(room_log.room_group)
    read = staticmethod(room_log.messages_after)

    @staticmethod
    def is_stored(message):
        return room_log.is_stored(message["room_id"], message["room_seq"], message["type"])


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


class Memberships:
    """The channel-layer groups one connection is in, shared by its feeds.

    A socket may follow an execution both on its own and as a run of a
    thread it follows: two feeds, one channel, one group. The group is
    joined for the first and left after the last, so one feed letting go
    does not cut the other off.
    """

    def __init__(self, channel_layer, channel_name):
        self.channel_layer = channel_layer
        self.channel_name = channel_name
        self.holders = {}  # group -> how many joins hold it

    @property
    def groups(self):
        # Every group joined and not yet left: what the connection must give
        # back when it ends (see ``Feed.close``).
        return set(self.holders)

    async def add(self, group, holder=True):
        """Join ``group``; ``holder`` is False for a feed that holds it already (and joins again)."""
        # Counted before asking Redis: a join that failed or was cut short is still let go of.
        if holder:
            self.holders[group] = self.holders.get(group, 0) + 1
        # Asked every time, though Redis may have it: after a restart of Redis,
        # a client subscribing again is what puts the membership back.
        await self.channel_layer.group_add(group, self.channel_name)

    async def discard(self, group):
        held = self.holders.get(group, 0)
        if held > 1:
            self.holders[group] = held - 1
            return
        self.holders.pop(group, None)
        await self.channel_layer.group_discard(group, self.channel_name)

    async def close(self):
        """Leave every group (each is tried, whatever Redis says to the others)."""
        groups, self.holders = self.groups, {}
        await leave_groups(self.channel_layer, self.channel_name, groups)


class Feed:
    def __init__(self, channel_layer, channel_name, send, on_terminal=None, memberships=None, log=ExecutionLog):
        self.send = send
        self.on_terminal = on_terminal
        self.memberships = memberships or Memberships(channel_layer, channel_name)
        self.log = log
        self.cursors = {}  # execution id -> seq of the last event sent
        self.joined = set()  # execution ids joined and not yet left, followed or not
        self.replayed = 0  # events sent from the database so far (a transport may bound it)

    @property
    def groups(self):
        return self.memberships.groups

    def __contains__(self, execution_id):
        return execution_id in self.cursors

    async def join(self, execution_id):
        """Listen to an execution's live events before reading its past (see the module docstring)."""
        holder = execution_id not in self.joined
        self.joined.add(execution_id)
        await self.memberships.add(self.log.group(execution_id), holder)

    async def leave(self, execution_id):
        """Stop following an execution (also undoes a ``join`` that was not followed up)."""
        self.cursors.pop(execution_id, None)
        if execution_id in self.joined:
            self.joined.discard(execution_id)
            await self.memberships.discard(self.log.group(execution_id))

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
        """Stop, and leave every group of the connection (each is tried, whatever Redis says to the others)."""
        self.stop()
        self.joined.clear()
        await self.memberships.close()

    async def on_events(self, message):
        """An ``execution.events`` channel-layer message: forward what this client has not seen."""
        key, seq_key, terminal_types = self.log.key, self.log.seq, self.log.terminal_types
        for event in message.get("events") or ():
            # What the channel layer carries is checked before it is used: a
            # malformed message is skipped rather than crash the connection.
            execution_id = event.get(key) if isinstance(event, dict) else None
            last_seq = self.cursors.get(execution_id) if isinstance(execution_id, str) else None
            seq = event.get(seq_key) if last_seq is not None else None
            if type(seq) is not int or seq <= last_seq:
                continue
            if seq > last_seq + 1:
                await self._replay(execution_id, before_seq=seq)
                if execution_id not in self.cursors:
                    continue  # the gap held the end
            if event.get("type") in terminal_types and not await self._is_stored(event):
                # Not the end the database holds (a forged or stale message on
                # the channel layer): it must not end the stream. What is stored
                # is sent instead, and live events go on.
                await self._replay(execution_id)
                continue
            await self._sent(execution_id, event)

    async def _is_stored(self, event):
        return await database_sync_to_async(self.log.is_stored)(event)

    async def catch_up(self, execution_ids=None):
        """Replay anything stored past the cursors (all, or these): a lost last message has no successor to reveal it."""
        for execution_id in list(self.cursors if execution_ids is None else execution_ids):
            if execution_id in self.cursors:
                await self._replay(execution_id)

    async def _replay(self, execution_id, before_seq=None, chunk=None):
        while execution_id in self.cursors:
            if chunk is None:
                chunk = await database_sync_to_async(self.log.read)(
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
        seq = message[self.log.seq]
        last_seq = self.cursors.get(execution_id)
        if last_seq is None or seq <= last_seq:
            return
        self.cursors[execution_id] = seq
        await self.send(message)
        if message["type"] in self.log.terminal_types:
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


class ThreadFeed:
    """The stream of one thread: every event of every run, run after run, each exactly once.

    A thread's runs take turns (one active at a time, the queue in the order
    the runs were created), so its stream is their feeds one after another:
    the run followed now, to its terminal event, then the next. Each message
    is the run's event message with the thread's ``stream`` name and a
    ``cursor`` (``runs.events.ThreadCursor``) that resumes right after it,
    across runs, after any reconnect. The stream never ends: once the last
    run has ended it waits for the next one.

    It hears of new runs through the thread's group, joined before anything
    is read (as a ``Feed`` joins an execution's), from the status message a
    run's creation sends. A lost one is made up for by ``catch_up``, which
    also notices a followed run that was rolled back (deleted, with no
    terminal event to end it).
    """

    def __init__(self, thread_id, memberships, send):
        self.thread_id = thread_id
        self.stream = f"thread:{thread_id}"
        self.memberships = memberships
        self.send = send
        self.feed = Feed(None, None, self._forward, on_terminal=self._run_ended, memberships=memberships)
        self.place = None  # (created_at, id) of the run followed now, or of the last one followed
        self.following = False
        self._advancing = False

    @property
    def replayed(self):
        return self.feed.replayed

    async def join(self):
        """Listen for the thread's new runs; before ``follow`` reads anything."""
        await self.memberships.add(events.thread_group(self.thread_id))

    async def follow(self, cursor=None):
        """Send everything past ``cursor`` (a ``ThreadCursor``; None: from the first run), then follow live."""
        if cursor is None:
            return await self._advance()
        state, created_at = await database_sync_to_async(selectors.thread_run_state)(
            self.thread_id, cursor.execution_id, cursor.seq
        )
        self.place = (created_at or cursor.created_at, cursor.execution_id)
        # Ended with the cursor's event, or rolled back since: what is left is the runs after its place.
        await self._advance(resume_at=cursor.seq if state == "open" else None)

    async def on_run(self, message):
        """A status message of one of the thread's runs (from the thread's group)."""
        if message.get("status") in TERMINAL_STATUSES and message.get("execution_id") in self.feed:
            await self.feed.catch_up([message["execution_id"]])
        elif not self.following:
            await self._advance()
        elif message.get("execution_id") != self.place[1]:
            await self._drop_if_gone()

    async def catch_up(self):
        """Replay what lost live messages would have carried, and move on past a run that is gone."""
        if not self.following:
            return await self._advance()
        await self.feed.catch_up()
        if self.following:
            await self._drop_if_gone()

    async def leave(self):
        """Follow nothing more, and let go of the groups this stream joined."""
        execution_ids = list(self.feed.joined)
        self.following = False
        for execution_id in execution_ids:
            await self.feed.leave(execution_id)
        await self.memberships.discard(events.thread_group(self.thread_id))

    def stop(self):
        self.following = False
        self.feed.stop()

    async def _drop_if_gone(self):
        execution_id = self.place[1]
        if not await database_sync_to_async(selectors.thread_run_exists)(self.thread_id, execution_id):
            await self.feed.leave(execution_id)
            self.following = False
            await self._advance()

    async def _advance(self, resume_at=None):
        """Follow the run at ``place`` from ``resume_at`` (if given), then each next run, until one is live
        or none is left.

        A run whose end is in its replay calls ``_run_ended`` from inside
        this loop; the loop, not a nested call, moves on, so a thread of a
        thousand ended runs is a loop and not a recursion.
        """
        if self._advancing:
            return
        self._advancing = True
        try:
            if resume_at is not None:
                await self._follow_run(self.place[1], resume_at)
            while not self.following:
                place = await database_sync_to_async(selectors.next_thread_run)(self.thread_id, self.place)
                if place is None:
                    return
                self.place = (place[0], str(place[1]))
                await self._follow_run(self.place[1], 0)
        finally:
            self._advancing = False

    async def _follow_run(self, execution_id, after_seq):
        self.following = True
        await self.feed.join(execution_id)
        await self.feed.follow(execution_id, after_seq)  # a replayed end calls _run_ended

    async def _forward(self, message):
        cursor = events.ThreadCursor(self.place[0], message["execution_id"], message["seq"])
        await self.send({**message, "stream": self.stream, "cursor": str(cursor)})

    async def _run_ended(self, execution_id):
        self.following = False
        await self._advance()


class RoomFeed:
    """The stream of one room: its log (``rooms.log``) from a cursor, each message once, in room_seq order.

    A ``Feed`` of the room's log with the stream's name and ``cursor`` (the
    entry's room_seq, as a string) on each message; it ends with the room.
    """

    def __init__(self, room_id, memberships, send, on_end=None):
        self.room_id = room_id
        self.stream = f"room:{room_id}"
        self.send = send
        self.feed = Feed(None, None, self._forward, on_terminal=on_end, memberships=memberships, log=RoomLog)

    @property
    def replayed(self):
        return self.feed.replayed

    async def join(self):
        """Listen to the room's live messages; before ``follow`` reads anything."""
        await self.feed.join(self.room_id)

    async def follow(self, after_seq=None):
        """Send every entry past ``after_seq`` (a room_seq; None: from the start), then live ones."""
        await self.feed.follow(self.room_id, after_seq or 0)

    async def on_events(self, message):
        await self.feed.on_events(message)

    async def catch_up(self):
        await self.feed.catch_up()

    async def leave(self):
        await self.feed.leave(self.room_id)

    def stop(self):
        self.feed.stop()

    async def _forward(self, message):
        await self.send({**message, "stream": self.stream, "cursor": str(message["room_seq"])})
