"""``/lg/``: the LangGraph-compatible API's request-response paths (the streaming ones: ``langgraph.routing``)."""

from django.urls import path, re_path

from config.errors import api_not_found

from . import api
from .schema import LangGraphSchemaView

urlpatterns = [
    path("info", api.InfoView.as_view()),
    path("openapi.json", LangGraphSchemaView.as_view(), name="langgraph-schema"),
    path("assistants/search", api.AssistantSearchView.as_view()),
    path("assistants/<str:assistant_id>", api.AssistantView.as_view()),
    path("threads", api.ThreadsView.as_view()),
    path("threads/search", api.ThreadSearchView.as_view()),
    path("threads/<str:thread_id>", api.ThreadView.as_view()),
    path("threads/<str:thread_id>/state", api.ThreadStateView.as_view()),
    path("threads/<str:thread_id>/history", api.ThreadHistoryView.as_view()),
    path("threads/<str:thread_id>/runs", api.RunsView.as_view()),
    path("threads/<str:thread_id>/runs/crons", api.ThreadCronsView.as_view()),
    path("threads/<str:thread_id>/runs/<str:run_id>", api.RunView.as_view()),
    path("runs/cancel", api.CancelRunsView.as_view()),
    path("runs/crons", api.CronsView.as_view()),
    path("runs/crons/search", api.CronSearchView.as_view()),
    path("runs/crons/count", api.CronCountView.as_view()),
    path("runs/crons/<str:cron_id>", api.CronView.as_view()),
    path("store/items", api.StoreItemsView.as_view()),
    path("store/items/search", api.StoreSearchView.as_view()),
    path("store/namespaces", api.StoreNamespacesView.as_view()),
    re_path(r"", api_not_found),
]
