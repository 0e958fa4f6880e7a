from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("threads", api.ThreadViewSet, basename="thread")

messages = api.MessageViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    path("threads/<uuid:thread_id>/messages/", messages, name="thread-messages"),
    path("threads/<uuid:id>/stream/", api.ThreadStreamView.as_view(), name="thread-stream"),
    *router.urls,
]
