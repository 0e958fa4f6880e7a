from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ops.api import MetricsView

from . import views
from .errors import api_not_found
from .throttling import throttled_login

urlpatterns = [
    # The admin's login form behind the same throttles as the API's logins.
    path("admin/login/", throttled_login(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's script as a file: no inline script for the CSP to allow.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("api/", include("agents.urls")),
    path("api/", include("runs.urls")),
    path("api/", include("knowledge.urls")),
    path("api/", include("threads.urls")),
    path("api/", include("memory.urls")),
    path("api/", include("rooms.urls")),
    path("api/webhooks/", include("webhooks.urls")),
    path("api/ops/", include("ops.urls")),
    re_path(r"^api/", api_not_found),
    path("lg/", include("langgraph.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    re_path(r"^(?!api/|lg/|admin/|static/|ws/|healthz|metrics$).*$", views.dashboard, name="dashboard"),
]
