"""ASGI entry point for the api process (daphne).

* WebSockets go to Channels (``realtime.routing.websocket_urlpatterns``).
* Streaming HTTP paths (server-sent events) go to async consumers on the
  event loop (``realtime.routing.streaming_urlpatterns``): an open stream
  costs a coroutine, never a request thread.
* ``/mcp`` is the Model Context Protocol for users (``mcp_api.asgi``), on the
  event loop too: a tool call streams its execution's progress.
* Every other HTTP request goes to Django's synchronous stack in a pool of
  threads (why: config/http.py).

An api process also sweeps executions (``runs.sweeper``): with every worker
dead and beat down, it is what still notices their runs.
"""

# First: it sets Django up, which must happen before anything imports models (the consumers do).
from config.wsgi import application as django_app  # isort: skip

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import re_path  # noqa: E402

from config.http import FreshContext, PooledWsgiToAsgi  # noqa: E402
from config.websocket import BrowserOriginValidator  # noqa: E402
from mcp_api.asgi import application as mcp_app  # noqa: E402
from realtime.routing import streaming_urlpatterns, websocket_urlpatterns  # noqa: E402
from runs import sweeper  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": FreshContext(
            URLRouter(
                [
                    *streaming_urlpatterns,
                    re_path(r"^mcp/?$", mcp_app),
                    re_path(r"", PooledWsgiToAsgi(django_app, threads=settings.API_THREADS)),
                ]
            )
        ),
        "websocket": BrowserOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

if settings.AGENTS["API_SWEEPS"]:
    sweeper.start()
