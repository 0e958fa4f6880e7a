from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views
from .errors import api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("agents.urls")),
    path("api/", include("runs.urls")),
    path("api/", include("knowledge.urls")),
    re_path(r"^api/", api_not_found),
    path("healthz", views.healthz, name="healthz"),
    re_path(r"^(?!api/|admin/|static/|ws/|healthz).*$", views.dashboard, name="dashboard"),
]
