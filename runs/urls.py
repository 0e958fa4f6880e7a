from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("executions", api.ExecutionViewSet, basename="execution")
router.register("interrupts", api.InterruptViewSet, basename="interrupt")

urlpatterns = [
    path("executions/<uuid:id>/stream/", api.ExecutionStreamView.as_view(), name="execution-stream"),
    path("runs/", api.RunListView.as_view(), name="runs"),
    path("runs/stop/", api.BulkStopView.as_view(), name="runs-stop"),
    path("runs/rerun/", api.BulkRerunView.as_view(), name="runs-rerun"),
    *router.urls,
]
