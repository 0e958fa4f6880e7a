"""HTTP in the api process: Django's synchronous stack, entered once per request.

Django's own ASGI handler runs every synchronous middleware method through
its own hop from the event loop to a thread and back (about a dozen per
request with this project's middleware), each request in a thread of its
own, so database connections are opened per request and never reused. The
whole stack here is synchronous anyway (DRF, the admin), so the api runs it
as WSGI inside daphne instead: one hop into a bounded pool of threads per
request, and each thread keeps its database connection (``CONN_MAX_AGE``).
That took a quarter off the time to start an execution over REST.

asgiref's WsgiToAsgi does the translation; it would run every request on
one shared thread, so its instance is given the pool.

Request bodies are bounded before Django sees them (``body_limit``: an
upload, ``multipart/form-data``, up to ``AGENTS["MAX_UPLOAD_BYTES"]``, any
other body up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``); a larger one is a 413
``too_large`` in the api's error shape, sent as soon as Content-Length says
so, or as soon as a chunked body passes the limit. That has to happen in
daphne itself (``BoundedRequest``): daphne calls the application only once
the whole body has arrived, which Twisted spools to a temporary file,
and then queues all of it in memory as 8 KB messages; Twisted also parses
a whole multipart body in memory on the way, for nothing (daphne never
reads the result). A 200 MB upload grew the process by 2.3 GB. The pool's
instance checks the same limit as it spools the body to a file (any other
ASGI server).
"""

import asyncio
import contextvars
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from tempfile import SpooledTemporaryFile

from asgiref.sync import AsyncToSync, sync_to_async
from asgiref.wsgi import WsgiToAsgi, WsgiToAsgiInstance
from django.conf import settings

from config.limits import size_text

logger = logging.getLogger(__name__)

# A body up to this size stays in memory on its way to Django; past it, a temporary file.
SPOOL_BYTES = 256 * 1024
# How long a refused body may keep arriving (and be thrown away) before the
# connection is cut: a client reads the 413 once it has sent its body.
LINGER_SECONDS = 30.0


def body_limit(content_type):
    """The largest request body accepted with this Content-Type (str or bytes), in bytes."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        return settings.AGENTS["MAX_UPLOAD_BYTES"]
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large_body(limit):
    """The 413's JSON body (config.errors' shape: ``{"detail", "code"}``)."""
    detail = f"The request body is larger than {size_text(limit)}."
    return json.dumps({"detail": detail, "code": "too_large"}).encode()

# The plain function under asgiref's @sync_to_async.
_run_wsgi_app = WsgiToAsgiInstance.__dict__["run_wsgi_app"].func


class _PooledInstance(WsgiToAsgiInstance):
    def __init__(self, wsgi_application, executor):
        super().__init__(wsgi_application)
        self.executor = executor

    async def __call__(self, scope, receive, send):
        """asgiref's, with the body limit: spooled to a file as it arrives, refused once past the limit."""
        if scope["type"] != "http":
            raise ValueError("WSGI wrapper received a non-HTTP scope")
        self.scope = scope
        headers = dict(scope.get("headers", []))
        limit = body_limit(headers.get(b"content-type", b""))
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await _refuse(send, limit)
        with SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            received = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    return await _refuse(send, limit)
                body.write(chunk)
                if not message.get("more_body"):
                    break
            body.seek(0)
            self.sync_send = AsyncToSync(send)
            await self.run_wsgi_app(body)

    async def run_wsgi_app(self, body):
        await sync_to_async(_run_wsgi_app, thread_sensitive=False, executor=self.executor)(self, body)


async def _refuse(send, limit):
    body = too_large_body(limit)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class PooledWsgiToAsgi(WsgiToAsgi):
    """A WSGI application as an ASGI one, run in a pool of ``threads`` threads."""

    def __init__(self, wsgi_application, threads):
        super().__init__(wsgi_application)
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope, receive, send):
        await _PooledInstance(self.wsgi_application, self.executor)(scope, receive, send)


class FreshContext:
    """Runs each HTTP request of ``application`` in an empty ``contextvars`` context.

    Why: daphne starts the application of a keep-alive connection's next
    request from inside the previous response's last ``send``, and that send
    runs in the context copied from the WSGI thread that called it, which
    carries asgiref's note of that thread's (finishing) executor. A
    thread-sensitive ``sync_to_async`` in the next request (channels'
    session middleware, on an event stream) then fails with
    "CurrentThreadExecutor already quit". Nothing a request needs lives in
    the context it inherits, so it starts in a clean one.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        # Awaiting the task carries a cancellation of this one over to it.
        await asyncio.get_running_loop().create_task(
            self.application(scope, receive, send), context=contextvars.Context()
        )


# --- The limit in daphne -------------------------------------------------------------

try:
    from daphne import http_protocol
except ImportError:  # another ASGI server: the pool's instance checks the limit alone
    http_protocol = None
else:

    class BoundedRequest(http_protocol.WebRequest):
        """daphne's request, refusing a body past ``body_limit`` while it arrives.

        Twisted tells a request its length once the headers are in
        (``gotLength``) and hands it the body piece by piece
        (``handleContentChunk``); daphne's own request writes every piece
        to a file and starts the application at the end. Past the limit,
        this one answers 413 at once and throws the rest away as it comes,
        then closes the connection: a client sending its body reads the
        answer when it is done, instead of a reset connection (nginx's
        "lingering close"). A client that waited for ``100 Continue`` gets
        the 413 instead and sends nothing.
        """

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Twisted would parse a multipart body into request.args, in memory; daphne never reads them.
            self._parsePOSTFormSubmission = False
            self.body_limit = None
            self.body_received = 0
            self.refused = False
            self._linger = None

        def gotLength(self, length):
            self.body_limit = body_limit(self.requestHeaders.getRawHeaders(b"content-type", [b""])[0])
            if length is not None and length > self.body_limit:
                self.refuse_body(before_body=True)
            super().gotLength(0 if self.refused else length)

        def handleContentChunk(self, data):
            if self.refused:
                return
            self.body_received += len(data)
            if self.body_received > self.body_limit:
                self.refuse_body(before_body=False)
                return
            super().handleContentChunk(data)

        def refuse_body(self, before_body):
            self.refused = True
            expects_continue = before_body and self.requestHeaders.hasHeader(b"expect")
            # Twisted answers "100 Continue" after gotLength; this answer is final instead.
            self.requestHeaders.removeHeader(b"expect")
            body = too_large_body(self.body_limit)
            self.channel.transport.write(
                b"HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
            )
            logger.warning("Refused a request body over %d bytes with 413", self.body_limit)
            if expects_continue:
                # The client waits for "100 Continue" before its body, so none comes: close now.
                self.channel.loseConnection()
            else:
                from twisted.internet import reactor  # daphne's, installed before the application loads

                self._linger = reactor.callLater(LINGER_SECONDS, self.channel.transport.abortConnection)

        def process(self):
            if not self.refused:
                return super().process()
            # The refused body has all arrived (and been thrown away): the answer is out, close.
            self._stop_lingering()
            self.channel.loseConnection()
            return None

        def connectionLost(self, reason):
            self._stop_lingering()
            super().connectionLost(reason)

        def _stop_lingering(self):
            if self._linger is not None and self._linger.active():
                self._linger.cancel()
            self._linger = None

    # daphne's HTTPFactory builds its requests from this module attribute.
    http_protocol.WebRequest = BoundedRequest
