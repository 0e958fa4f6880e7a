"""``/lg/``'s long requests, served on the event loop (``langgraph.consumers``); config/asgi.py mounts them."""

from django.conf import settings
from django.urls import path
from starlette.middleware.cors import CORSMiddleware

from .consumers import CancelConsumer, JoinConsumer, RunStreamConsumer, WaitConsumer

# Relative to /lg/ (config/asgi.py mounts them there).
streaming_urlpatterns = [
    path("threads/<str:thread_id>/runs/stream", RunStreamConsumer.as_asgi()),
    path("threads/<str:thread_id>/runs/wait", WaitConsumer.as_asgi()),
    path("threads/<str:thread_id>/runs/<str:run_id>/stream", RunStreamConsumer.as_asgi()),
    path("threads/<str:thread_id>/runs/<str:run_id>/join", JoinConsumer.as_asgi()),
    path("threads/<str:thread_id>/runs/<str:run_id>/cancel", CancelConsumer.as_asgi()),
]


def cors(app):
    """``app`` answering the configured browser origins' preflights and cross-origin requests (none by default)."""
    if not settings.LANGGRAPH_CORS_ORIGINS:
        return app
    return CORSMiddleware(
        app,
        allow_origins=settings.LANGGRAPH_CORS_ORIGINS,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["x-api-key", "authorization", "content-type", "last-event-id", "accept"],
        expose_headers=["content-location", "location"],
        max_age=600,
    )
