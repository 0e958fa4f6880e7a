from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("executions", api.ExecutionViewSet, basename="execution")

urlpatterns = router.urls
