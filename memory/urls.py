from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("memory", api.MemoryItemViewSet, basename="memory")

urlpatterns = router.urls
