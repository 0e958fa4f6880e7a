"""The end of a live connection: prompt, bounded, and giving back everything in Redis.

channels runs a consumer's handlers one at a time, the client's disconnect
among them, and gives no call for the consumer's end. Under a storm of
events that made closing slow and leaky:

* A socket closed while a handler was replaying from the database (or
  waiting its turn for the api's one database thread, as every dispatch of
  a client message does) heard of the close only when the handler was done:
  daphne killed hundreds of such consumers for taking too long to shut down.
* A consumer that ended any other way than through its disconnect handler
  (killed, or failed on a send) left its groups subscribed, and the pub/sub
  layer kept its channel subscribed too whenever a message was waiting for it.

``ConnectionLifetime`` reads the client on a task of its own, so a close is
seen at once whatever is in progress (a close frame counts: a send refused
because the closing handshake has begun). It then cancels the consumer's
work and sends nothing more; a start or stop in progress is finished anyway
(``carried_out``), and so is a stop that arrived before the close but was
not handled yet (``after_close``). However the consumer ended, it leaves
every group it joined and has the layer forget its channel, within
``RELEASE_SECONDS``.
"""

import asyncio
import logging

from autobahn.exception import Disconnected
from channels.exceptions import StopConsumer

from contract.errors import PlatformError
from ops import metrics

from .channel_layer import release_channel

logger = logging.getLogger(__name__)

DISCONNECTS = {"websocket.disconnect", "http.disconnect"}
# What the dispatch loop meets once the client has left.
LEFT = {"type": "connection.left"}
# Releasing is a few Redis commands; past this Redis is away, and the
# subscriptions end with the connection to it anyway.
RELEASE_SECONDS = 5

# Work carried out past the end of its connection, kept referenced until done.
_detached = set()


class ConnectionLifetime:
    """Consumer mixin (before channels' consumer classes in the bases); see the module docstring.

    A consumer names what it holds in ``subscriptions()`` (the groups it joined)
    and stops its own work in ``stop_work()``. ``closing`` is true once the
    connection is going away: nothing more is dispatched or should be sent.
    """

    closing = False
    channel_name = None
    _taken = ()

    async def __call__(self, scope, receive, send):
        serving = asyncio.current_task()
        inbox = asyncio.Queue()
        # A message the dispatch loop took from the inbox, until its dispatch
        # begins: when the loop is cancelled, it drops what it took.
        self._taken = []
        state = {"left": False, "ending": False}

        def client_left():
            self.closing = True
            if not state["left"] and not state["ending"]:  # else it is letting go already
                state["left"] = True
                # The end is also queued behind the client's messages: a
                # cancellation can be lost (Python 3.11's asyncio.wait_for, which
                # redis-py sends through, returns a result that arrived as it
                # was cancelled), and then the dispatch loop meets the end next.
                inbox.put_nowait(LEFT)
                serving.cancel()

        async def read_client():
            while True:
                message = await receive()
                if message["type"] in DISCONNECTS:
                    return client_left()
                inbox.put_nowait(message)

        async def send_to_client(message):
            if self.closing:
                return  # nothing is sent after the close
            try:
                await send(message)
            except Disconnected:
                # The client's close frame is in: daphne refuses sends from now
                # on, but tells of the disconnect only once the TCP connection
                # is gone, which waits for every byte still buffered for a
                # client that may have stopped reading. The client has left.
                self.stop_work()
                client_left()
                return
            if message["type"] == "websocket.close":
                self.closing = True

        async def next_message():
            message = await inbox.get()
            self._taken.append(message)
            return message

        reader = asyncio.ensure_future(read_client())
        metrics.connection_opened(scope)
        try:
            await super().__call__(scope, next_message, send_to_client)
            if state["left"] and serving.cancelling():
                serving.uncancel()  # our cancellation, lost on the way (see client_left)
        except asyncio.CancelledError:
            # Ours when the client left; anyone else's (daphne stopping) goes on.
            if not state["left"] or serving.uncancel() > 0:
                raise
        finally:
            metrics.connection_closed(scope)
            state["ending"] = self.closing = True
            reader.cancel()
            while not inbox.empty():
                self._taken.append(inbox.get_nowait())
            for message in self._taken:
                self.after_close(message)
            await self._release()

    async def dispatch(self, message):
        if self._taken and self._taken[0] is message:
            self._taken.pop(0)
        if message is LEFT:
            raise StopConsumer()
        if self.closing:
            # The client is gone, or going: nothing it asked for can reach it.
            return self.after_close(message)
        await super().dispatch(message)

    def subscriptions(self):
        """The groups this connection is in (a subclass adds its own)."""
        return set()

    def stop_work(self):
        """Stop what the connection does for its client (replays, timers): it is going away."""

    def after_close(self, message):
        """A message that arrived before the close, met only after it: no answer can reach
        the client, but an effect beyond the connection may still be due (``detach`` it)."""

    async def _release(self):
        self.stop_work()
        layer = getattr(self, "channel_layer", None)
        if layer is None or self.channel_name is None:
            return  # ended before it had a channel
        try:
            async with asyncio.timeout(RELEASE_SECONDS):
                await release_channel(layer, self.channel_name, self.subscriptions())
        except TimeoutError:
            logger.warning("Could not release channel %s within %s s", self.channel_name, RELEASE_SECONDS)


async def carried_out(awaitable):
    """Await ``awaitable``; if the connection ends meanwhile, it still runs to its end (detached)."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        detach(task)
        raise


def detach(awaitable):
    """Let ``awaitable`` run to its end on its own, its connection gone; a failure is logged."""
    task = asyncio.ensure_future(awaitable)
    _detached.add(task)
    task.add_done_callback(_detached_done)


def _detached_done(task):
    _detached.discard(task)
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        # A refusal had no one left to be told; anything else is a fault.
        if not isinstance(error, PlatformError):
            logger.error("Work of a closed connection failed", exc_info=error)
