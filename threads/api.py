"""DRF views for threads and their messages: thin adapters over threads.services.

Every queryset starts from a selector scoped to the requesting user, so
someone else's thread is simply not found (404).
"""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from agents import permissions
from config.limits import parse_json
from config.schema import THROTTLED, field_errors
from runs.api import ExecutionStreamView

from . import selectors, services
from .models import Message, Thread
from .serializers import MessageCreateSerializer, MessageSerializer, PostedMessageSerializer, ThreadSerializer


class MetadataFilter(django_filters.CharFilter):
    """``?metadata={"project": "x"}``: threads whose metadata has each of these keys with these values."""

    def filter(self, queryset, value):
        if not value:
            return queryset
        try:
            wanted = parse_json(value)
        except ValueError:
            wanted = None
        if not isinstance(wanted, dict):
            raise serializers.ValidationError({"metadata": ["Must be a JSON object, e.g. {\"project\": \"x\"}."]})
        return selectors.with_metadata(queryset, wanted)


class ThreadFilter(django_filters.FilterSet):
    agent = django_filters.UUIDFilter(field_name="agent_id")
    status = django_filters.ChoiceFilter(choices=Thread.Status.choices)
    metadata = MetadataFilter(help_text='A JSON object: threads whose metadata holds each key with its value.')

    class Meta:
        model = Thread
        fields = ["agent", "status", "metadata"]


class ThreadViewSet(viewsets.ModelViewSet):
    serializer_class = ThreadSerializer
    filterset_class = ThreadFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Thread.objects.none()
        return selectors.threads_visible_to(self.request.user).order_by("-updated_at")

    def perform_create(self, serializer):
        agent = serializer.validated_data["agent"]
        permissions.check_may_change(self.request.user, agent.owner_id, permissions.START_EXECUTION)
        serializer.save(owner=self.request.user)

    def perform_update(self, serializer):
        permissions.check_may_change(self.request.user, serializer.instance.owner_id, permissions.EDIT_THREAD)
        serializer.save()

    def perform_destroy(self, thread):
        permissions.check_may_change(self.request.user, thread.owner_id, permissions.DELETE_THREAD)
        services.delete_thread(thread)

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        # The status is read, not stored: answer with the thread as a read shows it.
        response.data = ThreadSerializer(self.get_queryset().get(id=response.data["id"])).data
        return response


class MessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """``/api/threads/{thread_id}/messages/``: the conversation, and the next message."""

    serializer_class = MessageSerializer
    filter_backends = []

    def thread(self):
        return get_object_or_404(selectors.threads_visible_to(self.request.user).select_related("agent"),
                                 id=self.kwargs["thread_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return Message.objects.filter(thread=self.thread()).order_by("turn", "id")

    @extend_schema(
        request=MessageCreateSerializer,
        responses={
            201: PostedMessageSerializer,
            409: field_errors("The thread is busy (multitask_strategy reject), or its agent is inactive."),
            429: THROTTLED,
        },
    )
    def create(self, request, thread_id=None):
        thread = self.thread()
        permissions.check_may_change(request.user, thread.owner_id, permissions.POST_MESSAGE)
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message, execution = services.post_message(
            thread, serializer.validated_data["content"],
            multitask_strategy=serializer.validated_data.get("multitask_strategy"), user=request.user,
        )
        body = PostedMessageSerializer({"message": message, "execution": execution}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ThreadStreamView(ExecutionStreamView):
    """The schema's entry for ``GET /api/threads/{id}/stream/`` (served by ``realtime.sse``, as an execution's)."""

    @extend_schema(
        operation_id="threads_stream",
        summary="Follow every run of a thread as server-sent events",
        description="Every event of every run of the thread, run after run in the order they were created, then "
        "the next runs as they come: the stream stays open. Each frame is `event: <message type>`, "
        "`id: <cursor>`, `data: <the WebSocket message as JSON, with its stream and cursor>`. Resume with the "
        "`Last-Event-ID` header or `?cursor=` (a frame's id, as it came): the stream goes on right after it, "
        "across runs. `: ping` comments keep an idle stream open.",
        parameters=[
            OpenApiParameter("cursor", str, description="Only what comes after this cursor (default: from the "
                             "first run)."),
            OpenApiParameter(
                "Last-Event-ID", str, OpenApiParameter.HEADER, description="The last cursor received; wins over cursor."
            ),
        ],
        responses={(200, "text/event-stream"): OpenApiTypes.STR},
    )
    def get(self, request, id):
        return super().get(request, id)
