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
"""

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from asgiref.wsgi import WsgiToAsgi, WsgiToAsgiInstance

# The plain function under asgiref's @sync_to_async.
_run_wsgi_app = WsgiToAsgiInstance.__dict__["run_wsgi_app"].func


class _PooledInstance(WsgiToAsgiInstance):
    def __init__(self, wsgi_application, executor):
        super().__init__(wsgi_application)
        self.executor = executor

    async def run_wsgi_app(self, body):
        await sync_to_async(_run_wsgi_app, thread_sensitive=False, executor=self.executor)(self, body)


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
