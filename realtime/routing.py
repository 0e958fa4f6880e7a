from django.urls import re_path

from .consumers import AgentConsumer

websocket_urlpatterns = [
    re_path(r"^ws/agents/(?P<agent_id>[^/]+)/$", AgentConsumer.as_asgi()),
]
