from django.urls import path

from . import api

urlpatterns = [
    path("workers/", api.WorkersView.as_view(), name="ops-workers"),
    path("queues/", api.QueuesView.as_view(), name="ops-queues"),
    path("agent-servers/", api.AgentServersView.as_view(), name="ops-agent-servers"),
    path("stats/", api.StatsView.as_view(), name="ops-stats"),
]
