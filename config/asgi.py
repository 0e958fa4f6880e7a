"""ASGI entry point for the api process (daphne): HTTP through Django, WebSockets through Channels."""

# First: it sets Django up, which must happen before anything imports models (the consumers do).
from config.wsgi import application as django_app  # isort: skip

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.http import PooledWsgiToAsgi  # noqa: E402
from config.websocket import BrowserOriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Why WSGI inside ASGI: config/http.py.
        "http": PooledWsgiToAsgi(django_app, threads=settings.API_THREADS),
        "websocket": BrowserOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
