from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("agents", api.AgentViewSet, basename="agent")
router.register("executions", api.ExecutionViewSet, basename="execution")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="auth-token"),
    path("auth/login/", api.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", api.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", api.MeView.as_view(), name="auth-me"),
    path("runtimes/", api.RuntimeListView.as_view(), name="runtimes"),
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
    path("", include(router.urls)),
]
