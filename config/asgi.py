"""ASGI entry point for the api process (daphne).

* WebSockets go to Channels (``realtime.routing.websocket_urlpatterns``).
* Streaming HTTP paths (server-sent events) go to async consumers on the
  event loop (``realtime.routing.streaming_urlpatterns``): an open stream
  costs a coroutine, never a request thread.
* ``/lg/`` is the LangGraph-compatible API: its long requests on the event
  loop (``langgraph.routing``), the rest in Django, both behind CORS for
  the configured origins (``LANGGRAPH_CORS_ORIGINS``).
* ``/mcp`` is the Model Context Protocol for users (``mcp_api.asgi``), on the
  event loop too: a tool call streams its execution's progress.
* Every other HTTP request goes to Django's synchronous stack in a pool of
  threads (why: config/http.py).

An api process also sweeps executions (``runs.sweeper``): with every worker
dead and beat down, it is what still notices their runs. And it reports
(``ops.reporting``): its metrics snapshot, and the charts' samples.
"""

# First: it sets Django up, which must happen before anything imports models (the consumers do).
from config.wsgi import application as django_app  # isort: skip

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import re_path  # noqa: E402

from config.http import FreshContext, PooledWsgiToAsgi  # noqa: E402
from config.websocket import BrowserOriginValidator, plain_autobahn_log_arguments  # noqa: E402
from langgraph import routing as langgraph_routing  # noqa: E402
from mcp_api.asgi import application as mcp_app  # noqa: E402
from ops import reporting  # noqa: E402
from realtime.auth import SessionUserStack  # noqa: E402
from realtime.routing import streaming_urlpatterns, websocket_urlpatterns  # noqa: E402
from runs import sweeper  # noqa: E402

plain_autobahn_log_arguments()
django_pool = PooledWsgiToAsgi(django_app, threads=settings.API_THREADS)

application = ProtocolTypeRouter(
    {
        "http": FreshContext(
            URLRouter(
                [
                    *streaming_urlpatterns,
                    re_path(r"^mcp/?$", mcp_app),
                    re_path(r"^lg/", langgraph_routing.cors(
                        URLRouter([*langgraph_routing.streaming_urlpatterns, re_path(r"", django_pool)])
                    )),
                    re_path(r"", django_pool),
                ]
            )
        ),
        "websocket": BrowserOriginValidator(SessionUserStack(URLRouter(websocket_urlpatterns))),
    }
)

if settings.AGENTS["API_SWEEPS"]:
    sweeper.start()
# Its metrics snapshot for the other api processes' /metrics, and the charts' samples.
reporting.start_api()
