from django.urls import path

from . import api

urlpatterns = [
    path(
        "agents/<uuid:agent_id>/documents/",
        api.DocumentViewSet.as_view({"get": "list", "post": "create"}),
        name="agent-documents",
    ),
    path(
        "agents/<uuid:agent_id>/documents/<uuid:id>/",
        api.DocumentViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="agent-document",
    ),
]
