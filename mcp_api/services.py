"""MCP tool calls on the platform: each agent tool call is an ordinary execution.

``call_tool`` is the one entry (``mcp_api.server`` is a thin adapter over it):

* An agent tool validates its arguments against the runtime's input schema
  (``contract.runtimes.check_input``; a mismatch is a tool error the model
  can correct), starts an execution with ``runs.services.start_execution``
  (owner: the caller; stored, in the dashboard and admin, stoppable from
  anywhere), follows its events live, as the dashboard does
  (``follow_execution``), reports its ``progress`` events as MCP progress
  notifications, and returns its output, or its error as ``isError``.
* A knowledge tool asks the agent server's search through
  ``runs.agent_server``, the client the workers index with.

Cancellation. A call can end early two ways, on every protocol version the
SDK serves (2024-11-05 to 2026-07-28), and both stop its execution with
``runs.services.stop_execution`` (which works from any process):

* the client closes the call's response stream (the 2026-07-28 protocol's
  only way to cancel, and what any client does when it gives up): the SDK
  cancels the handler, which stops the execution on its way out; and
  ``mcp_api.asgi``, which sees the client leave before the answer is
  complete, cancels the call as a posted cancellation would, so this does
  not rest on the SDK cancelling the handler;
* the client posts ``notifications/cancelled`` (2024-11-05 to 2025-11-25).
  The api serves MCP statelessly, so that notification arrives in a request
  of its own, possibly at another api process, and no in-memory table could
  match it to the call. So each call is kept in Redis, keyed by (caller,
  ``Mcp-Session-Id`` if the client has one, JSON-RPC request id), from the
  moment ``mcp_api.asgi`` has read its POST (``open_call``) until that
  request ends (``close_call``), with an expiry past the longest run;
  ``cancel_request`` looks the call up there. The caller is part of the
  key, so nobody can cancel another user's call by guessing its id. The call
  itself then sees ``execution_stopped`` in its feed and returns.

The entry exists before the execution does: it reads ``starting`` until the
execution is created, and a cancellation that finds it so marks it
``cancelled``; the call reads the mark as it stores the execution's id
(atomically, ``_started``) and stops the run at once. The execution is
created in a task of its own that a cancelled handler still waits for, so a
call cancelled half-way through the start stops what the start created. A
cancellation is lost only when it overtakes its own call on the wire
(sent on another connection and read before the call's POST is): it then
names no call, as one for a finished call does, and is dropped; the run
stops when the client closes the call's stream.

Each entry holds a token of its call, and a call removes or completes only
an entry holding its own token. Stateless clients have no session id, so
two clients of one user that both have a call with the same request id in
flight share a key; the later call takes it over, and the earlier one is
then cancelled only by closing its stream (or a stop from the dashboard or
REST).

Progress: each ``progress`` event of the run becomes one notification, with
the stage's message; ``progress`` is the event's percent (``total`` 100)
or, for runs that report none, a count of progress events (no total). MCP
wants the value to increase with every notification, so an event that does
not move it is reported a thousandth further on. A run that waits for a
person says so in a notification (the question, or the tool to approve,
and the interrupt's id); the call goes on once it is answered elsewhere.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from contract.config import InputError
from contract.errors import PlatformError
from contract.events import (
    AGENT_EVENT,
    EXECUTION_COMPLETED,
    EXECUTION_INTERRUPTED,
    EXECUTION_STOPPED,
    PROGRESS,
    TERMINAL_TYPES,
)
from contract.runtimes import check_input
from realtime.feed import Feed
from runs import agent_server
from runs import services as runs_services
from runs.models import AgentExecution

from . import tools as tool_catalog

logger = logging.getLogger(__name__)

# Following a run (follow_execution): how long a call waits for a live
# message before it checks the database for a dropped one.
CATCH_UP_SECONDS = 5.0
# A remembered call outlives the longest run by this much.
CALL_KEY_SLACK_SECONDS = 300

ReportProgress = Callable[[float, float | None, str | None], Awaitable[None]]


class UnknownTool(LookupError):
    """No tool of the caller has this name (someone else's agent included)."""

    def __init__(self, name):
        super().__init__(f"Unknown tool: {name}")
        self.name = name


@dataclass(frozen=True)
class CallKey:
    """Who made a call, as a later ``notifications/cancelled`` names it, and which call holds that name.

    ``token`` tells apart two calls under one name (module docstring); a
    cancellation's own key carries a token nobody holds.
    """

    user_id: int
    session_id: str | None
    request_id: object
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def redis_key(self):
        # JSON-RPC ids are strings or numbers; the two spellings of 1 need not be told apart.
        return f"mcp:call:{self.user_id}:{self.session_id or '-'}:{self.request_id}"


@dataclass
class ToolOutcome:
    """What a call returns: text for people, structured content for programs."""

    text: str
    structured: dict
    is_error: bool = False


# --- Listing ---------------------------------------------------------------------------


async def list_tools(user):
    return list((await database_sync_to_async(tool_catalog.tools_of)(user)).values())


# --- Calling ---------------------------------------------------------------------------------


async def call_tool(user, name, arguments, key, report_progress):
    """Run one tool call for ``user``; raises ``UnknownTool``, returns a ``ToolOutcome``."""
    tool = (await database_sync_to_async(tool_catalog.tools_of)(user)).get(name)
    if tool is None:
        raise UnknownTool(name)
    if tool.kind == tool_catalog.SEARCH:
        return await _search(tool, arguments)
    return await _run(user, tool, arguments, key, report_progress)


async def _run(user, tool, arguments, key, report_progress):
    agent = tool.agent
    try:
        input_data = check_input(agent.runtime, arguments)
    except PlatformError as error:  # arguments the runtime rejects
        return _error_outcome(error)
    # A task of its own, awaited through a shield: the thread creating the
    # execution runs to its end whatever happens to this call, and a call
    # cancelled meanwhile must still learn the execution's id to stop it.
    starting = asyncio.ensure_future(_start(agent, input_data, key))
    try:
        execution_id, cancelled_early = await asyncio.shield(starting)
    except PlatformError as error:  # an agent deactivated since the listing, the owner's start rate
        return _error_outcome(error)
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            await _stop_once_started(user, starting)
        raise
    progress = ProgressReport()

    async def on_event(message):
        report = progress.of(message)
        if report is not None:
            await report_progress(*report)

    try:
        if cancelled_early:
            await _stop(user.id, execution_id)
        terminal = await follow_execution(execution_id, on_event)
    except anyio.get_cancelled_exc_class():
        # The client closed the call's stream (or the call was cancelled
        # some other way): nobody is left to read the run, so end it.
        with anyio.CancelScope(shield=True):
            await _stop(user.id, execution_id)
        raise
    return run_outcome(execution_id, terminal)


async def _start(agent, input_data, key):
    """Start the execution of a call: ``(execution_id, cancelled_early)``; raises ``PlatformError``."""
    execution = await database_sync_to_async(runs_services.start_execution)(agent, input_data)
    execution_id = str(execution.id)
    return execution_id, await _started(key, execution_id)


async def _stop_once_started(user, starting):
    try:
        execution_id, _ = await starting
    except PlatformError:
        return  # refused: nothing started
    except Exception:
        logger.exception("An MCP call's execution did not start; the call was cancelled meanwhile")
        return
    await _stop(user.id, execution_id)


def _error_outcome(error):
    return ToolOutcome(error.message, {"error": {"message": error.message, "code": error.code}}, True)


def run_outcome(execution_id, terminal):
    """The outcome of a run from its terminal event message."""
    if terminal["type"] == EXECUTION_COMPLETED:
        output = terminal["output"]
        text = output.get("text") if isinstance(output, dict) else None
        return ToolOutcome(
            text if isinstance(text, str) else json.dumps(output),
            {"execution_id": execution_id, "status": "completed", "output": output},
        )
    status = "stopped" if terminal["type"] == EXECUTION_STOPPED else "failed"
    error = {"message": terminal["message"], "code": terminal.get("code", status)}
    return ToolOutcome(terminal["message"], {"execution_id": execution_id, "status": status, "error": error}, True)


async def _search(tool, arguments):
    try:
        query, k = check_search_arguments(arguments)
    except InputError as error:
        return ToolOutcome(error.message, {"error": {"message": error.message, "code": error.code}}, True)
    try:
        results = await anyio.to_thread.run_sync(agent_server.search_knowledge, str(tool.agent.id), query, k)
    except agent_server.AgentServerError as error:
        return ToolOutcome(error.message, {"error": {"message": error.message, "code": error.code}}, True)
    text = "\n\n".join(f"[{hit['filename']}] {hit['text']}" for hit in results) or "No passage matches."
    return ToolOutcome(text, {"results": results})


def check_search_arguments(arguments):
    """``(query, k)`` from a knowledge tool's arguments; raises ``InputError`` (the schema: ``tools.SEARCH_SCHEMA``)."""
    problems = {}
    query = arguments.get("query")
    if not isinstance(query, str) or not query.strip():
        problems["query"] = "Must be a string that is not blank."
    k = arguments.get("k", 4)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= tool_catalog.MAX_RESULTS:
        problems["k"] = f"Must be an integer from 1 to {tool_catalog.MAX_RESULTS}."
    for unknown in sorted(set(arguments) - {"query", "k"}):
        problems[unknown] = "Unknown field."
    if problems:
        details = " ".join(f"{field}: {problem}" for field, problem in problems.items())
        raise InputError(f"Invalid arguments. {details}", problems)
    return query, k


# --- Following an execution ------------------------------------------------------------------


async def follow_execution(execution_id, on_event):
    """Hand every event of an execution to ``on_event``, in seq order, each once; return the terminal one.

    It follows the run with a ``realtime.feed.Feed``, as the socket and SSE
    do: the execution's group first, then the stored events, then live ones,
    with gaps filled from the database and a live terminal event trusted only
    once the database has it. A live event costs no query; polling the event
    store instead cost every running call a query each 50 ms to 1 s, all of
    them through the api's one database thread.

    The feed reads a channel of its own (``new_channel``), and one task reads
    that channel for the whole call (``_read_channel``), never a ``receive``
    under a timeout: channels-redis's pub/sub layer takes a cancelled
    ``receive`` for its consumer leaving and forgets the channel, so every
    message published until the next ``receive`` is dropped, and a follower
    that stopped waiting now and then to check the database heard only what
    came while it waited. The periodic check stays, on the task's queue:
    after ``CATCH_UP_SECONDS`` without a message the feed replays what is
    stored, since a dropped last event would have no successor to reveal it;
    an idle call costs one indexed query that often.
    """
    layer = get_channel_layer()
    channel = await layer.new_channel()
    inbox = asyncio.Queue()
    reader = asyncio.ensure_future(_read_channel(layer, channel, inbox))
    ended = []

    async def send(message):
        await on_event(message)
        if message["type"] in TERMINAL_TYPES:
            ended.append(message)

    feed = Feed(layer, channel, send)
    try:
        await feed.join(execution_id)
        await feed.follow(execution_id, 0)
        while execution_id in feed:
            message = None
            with anyio.move_on_after(CATCH_UP_SECONDS):
                message = await inbox.get()
            if message is None:
                await feed.catch_up()
            elif message.get("type") == "execution.events":
                await feed.on_events(message)
            # An execution's group carries nothing else; anything else is ignored.
    finally:
        with anyio.CancelScope(shield=True):
            # One cancel, awaited: the layer unsubscribes the channel as the read ends.
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await feed.close()
    return ended[0]


async def _read_channel(layer, channel, inbox):
    while True:
        try:
            inbox.put_nowait(await layer.receive(channel))
        except Exception:
            # A message that does not decode is lost, not the call: the catch-up replays what it carried.
            logger.exception("Could not read a message for an MCP call's feed")


class ProgressReport:
    """Turns an execution's event messages into MCP progress ``(progress, total, message)`` (module docstring)."""

    NUDGE = 0.001

    def __init__(self):
        self.value = None
        self.total = None

    def of(self, message):
        if message["type"] == EXECUTION_INTERRUPTED:
            # The call goes on once someone answers (the dashboard, REST): the client is told whom it waits for.
            return self._step(self.value or 0.0), self.total, waiting_text(message["interrupt"])
        if message["type"] != AGENT_EVENT or message["event_type"] != PROGRESS:
            return None
        content = message["content"]
        percent = content.get("percent")
        if isinstance(percent, int | float) and not isinstance(percent, bool):
            self.total = 100.0
            target = float(percent)
        else:
            target = (self.value or 0.0) + 1
        text = content.get("message") or content.get("stage")
        return self._step(target), self.total, str(text) if text is not None else None

    def _step(self, target):
        """``target``, or a nudge past the last value: MCP progress must increase."""
        if self.value is not None and target <= self.value:
            target = self.value + self.NUDGE
        self.value = target
        return target


def waiting_text(interrupt):
    payload = interrupt.get("payload") or {}
    if interrupt.get("kind") == "ask_human":
        return f"Waiting for an answer to: {payload.get('question', '')} (interrupt {interrupt.get('id')})"
    return f"Waiting for approval of a {payload.get('tool', 'tool')} call (interrupt {interrupt.get('id')})"


# --- Stopping, and the calls a cancellation can name -------------------------------------------
#
# An entry's value is "<token>:starting", "<token>:cancelled" or
# "<token>:<execution id>" (module docstring). Each change is one script, so
# a cancellation and the call's start cannot interleave between a read and
# a write.

STARTING = "starting"
CANCELLED = "cancelled"

# The state a cancellation found; "starting" becomes "cancelled", for the call to act on once started.
_CANCEL = """
local value = redis.call('GET', KEYS[1])
if not value then return false end
local split = string.find(value, ':', 1, true)
local state = string.sub(value, split + 1)
if state == ARGV[1] then
  redis.call('SET', KEYS[1], string.sub(value, 1, split) .. ARGV[2], 'KEEPTTL')
end
return state
"""

# The call's execution id replaces "starting" or "cancelled", if the entry is still the call's; returns what it found.
_STARTED = """
local value = redis.call('GET', KEYS[1])
if value == ARGV[1] .. ':' .. ARGV[2] or value == ARGV[1] .. ':' .. ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[4], 'KEEPTTL')
end
return value
"""

# Removes the entry if it is still the call's (a later call of the same key may have taken it over).
_CLOSE = """
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ':' then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


async def open_call(key):
    """Remember a ``tools/call`` as its POST arrives, before anything runs, so a cancellation can name it."""
    timeout = int(settings.AGENTS["EXECUTION_TIMEOUT"]) + CALL_KEY_SLACK_SECONDS
    try:
        await _redis().set(key.redis_key(), f"{key.token}:{STARTING}", ex=timeout)
    except Exception:
        # The call still runs; only a posted cancellation cannot find it.
        logger.exception("Could not remember the MCP call %s", key.redis_key())


async def close_call(key, abandoned):
    """The request of a call has ended; ``abandoned``: the client left before its answer was complete.

    An abandoned call is cancelled as a posted cancellation would be. Its
    entry stays if it is still ``starting`` (now ``cancelled``), for the
    call to read once its execution exists; it expires.
    """
    if abandoned and await _cancel(key) == STARTING:
        return
    try:
        await _script(_CLOSE)(keys=[key.redis_key()], args=[key.token])
    except Exception:
        logger.warning("Could not forget the MCP call %s (it expires)", key.redis_key(), exc_info=True)


async def cancel_request(user, session_id, request_id):
    """A client cancelled one of its requests: stop that call's execution, now or as it starts; False if unknown."""
    return await _cancel(CallKey(user.id, session_id, request_id)) is not None


async def _cancel(key):
    """Cancel the call under ``key``: the state it was in (``STARTING``, an execution id, ...) or None."""
    try:
        state = await _script(_CANCEL)(keys=[key.redis_key()], args=[STARTING, CANCELLED])
    except Exception:
        logger.exception("Could not look up the MCP call %s to cancel it", key.redis_key())
        return None
    if state is None:
        return None  # finished already, not a tool call (a listing), or not read yet (module docstring)
    state = state.decode()
    if state not in (STARTING, CANCELLED):
        await _stop(key.user_id, state)
    return state


async def _started(key, execution_id):
    """Store a call's execution id under its entry; True if a cancellation came first."""
    if key is None:
        return False
    try:
        found = await _script(_STARTED)(
            keys=[key.redis_key()], args=[key.token, STARTING, CANCELLED, execution_id]
        )
    except Exception:
        # The call still runs; only a posted cancellation cannot find it.
        logger.exception("Could not store the execution of the MCP call %s", key.redis_key())
        return False
    return found is not None and found.decode() == f"{key.token}:{CANCELLED}"


async def _stop(user_id, execution_id):
    await database_sync_to_async(_stop_owned)(user_id, execution_id)


def _stop_owned(user_id, execution_id):
    execution = AgentExecution.objects.filter(id=execution_id, agent__owner_id=user_id).first()
    if execution is not None:
        runs_services.stop_execution(execution)


_redis_clients = {}


def _redis():
    """An asyncio Redis client for the running loop (the api has one: daphne's), made on first use."""
    import redis.asyncio as aioredis

    loop = asyncio.get_running_loop()
    client = _redis_clients.get(loop)
    if client is None:
        client = _redis_clients[loop] = aioredis.Redis.from_url(settings.REDIS_URL)
    return client


_scripts = {}


def _script(source):
    # A registered script is sent as EVALSHA, and as its source once if Redis does not know it yet.
    loop = asyncio.get_running_loop()
    script = _scripts.get((loop, source))
    if script is None:
        script = _scripts[(loop, source)] = _redis().register_script(source)
    return script
