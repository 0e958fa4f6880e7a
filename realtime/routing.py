"""What the api's ASGI application routes to realtime: the sockets, and the streaming HTTP paths."""

from django.urls import path, re_path

from .auth import SessionUserStack
from .consumers import AgentConsumer, UserConsumer
from .sse import ExecutionStreamConsumer, RoomStreamConsumer, ThreadStreamConsumer

websocket_urlpatterns = [
    re_path(r"^ws/agents/(?P<agent_id>[^/]+)/$", AgentConsumer.as_asgi()),
    path("ws/", UserConsumer.as_asgi()),
]

# Served on the event loop, never by the request threads (config/asgi.py).
# SessionUserStack gives them the session's user, as Django's middleware would.
streaming_urlpatterns = [
    path("api/executions/<uuid:execution_id>/stream/", SessionUserStack(ExecutionStreamConsumer.as_asgi())),
    path("api/threads/<uuid:thread_id>/stream/", SessionUserStack(ThreadStreamConsumer.as_asgi())),
    path("api/rooms/<uuid:room_id>/stream/", SessionUserStack(RoomStreamConsumer.as_asgi())),
]
