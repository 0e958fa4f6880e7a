from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("rooms", api.RoomViewSet, basename="room")

urlpatterns = [
    path("rooms/<uuid:id>/stream/", api.RoomStreamView.as_view(), name="room-stream"),
    *router.urls,
]
