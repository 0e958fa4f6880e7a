from django.urls import path

from . import api

urlpatterns = [
    path(
        "agents/<uuid:agent_pk>/documents/",
        api.DocumentViewSet.as_view({"get": "list", "post": "create"}),
        name="agent-documents",
    ),
    path(
        "agents/<uuid:agent_pk>/documents/<uuid:pk>/",
        api.DocumentViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="agent-document",
    ),
]
