"""ASGI entry point for the api process (daphne): HTTP through Django, WebSockets through Channels."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (the consumers do).
django_app = get_wsgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from agents.routing import websocket_urlpatterns  # noqa: E402
from config.http import PooledWsgiToAsgi  # noqa: E402
from config.websocket import BrowserOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Why WSGI inside ASGI: config/http.py.
        "http": PooledWsgiToAsgi(django_app, threads=settings.API_THREADS),
        "websocket": BrowserOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
