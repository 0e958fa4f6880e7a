"""DRF views for executions and their events: thin adapters over runs.services.

Every queryset starts from a selector scoped to the requesting user, so
someone else's execution is simply not found (404).
"""

from urllib.parse import urlencode

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import permissions
from config.schema import ErrorSerializer
from contract.errors import PlatformError

from . import selectors, services
from .models import AgentExecution, Interrupt
from .serializers import (
    AnswerSerializer,
    EventPageSerializer,
    EventQuerySerializer,
    ExecutionSerializer,
    InterruptSerializer,
)


class ExecutionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AgentExecution.Status.choices)
    # A plain id, not a choice among all agents: someone else's agent and a
    # missing one must both just match nothing (a 400 for one would tell
    # which ids exist).
    agent = django_filters.UUIDFilter(field_name="agent_id")
    thread = django_filters.UUIDFilter(field_name="thread_id")

    class Meta:
        model = AgentExecution
        fields = ["agent", "thread", "status"]


class ExecutionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ExecutionSerializer
    filterset_class = ExecutionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AgentExecution.objects.none()
        return selectors.executions_visible_to(self.request.user).order_by("-created_at")

    @extend_schema(request=None, responses={202: ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        execution = self.get_object()
        permissions.check_may_change(request.user, execution.agent.owner_id, permissions.STOP_EXECUTION)
        execution = services.stop_execution(execution)
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter("after_seq", int, description="Only events with a greater seq (default 0)."),
            OpenApiParameter("limit", int, description="At most this many events (default 1000, max 5000)."),
        ],
        responses=EventPageSerializer,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def events(self, request, pk=None):
        execution = self.get_object()
        query = EventQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after_seq, limit = query.validated_data["after_seq"], query.validated_data["limit"]
        messages = selectors.event_messages_after(execution.id, after_seq, limit)
        next_url = None
        if len(messages) == limit:
            params = urlencode({"after_seq": messages[-1]["seq"], "limit": limit})
            next_url = request.build_absolute_uri(f"{request.path}?{params}")
        return Response({"results": messages, "next": next_url})


class InterruptFilter(django_filters.FilterSet):
    execution = django_filters.UUIDFilter(field_name="execution_id")
    thread = django_filters.UUIDFilter(field_name="execution__thread_id")
    open = django_filters.BooleanFilter(method="filter_open", label="Only those still waiting for an answer.")

    class Meta:
        model = Interrupt
        fields = ["execution", "thread", "open"]

    def filter_open(self, queryset, name, value):
        waiting = {"answered_at": None, "execution__status": AgentExecution.Status.WAITING_INPUT}
        return queryset.filter(**waiting) if value else queryset.exclude(**waiting)


class InterruptViewSet(viewsets.ReadOnlyModelViewSet):
    """The questions runs ask people; answering one (once) resumes its run."""

    serializer_class = InterruptSerializer
    filterset_class = InterruptFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Interrupt.objects.none()
        return selectors.interrupts_visible_to(self.request.user).order_by("-created_at")

    @extend_schema(
        request=AnswerSerializer,
        responses={
            200: InterruptSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Answered already (already_answered; the first answer counts), or the run no longer "
                "waits (interrupt_closed: stopped, expired).",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer the interrupt, once; its run goes on with the answer."""
        interrupt = self.get_object()
        permissions.check_may_change(request.user, interrupt.execution.agent.owner_id, permissions.ANSWER_INTERRUPT)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        interrupt = services.answer_interrupt(interrupt, serializer.validated_data["answer"], request.user)
        return Response(InterruptSerializer(selectors.interrupts_visible_to(request.user).get(id=interrupt.id)).data)


class ExecutionStreamView(APIView):
    """The schema's entry for ``GET /api/executions/{id}/stream/`` (server-sent events).

    The api's ASGI application serves this path on its event loop
    (``realtime.sse``) and never reaches this view; it answers only where
    Django is served without that application (plain WSGI), saying so.
    """

    @extend_schema(
        operation_id="executions_stream",
        summary="Follow an execution as server-sent events",
        description="Each frame is `event: <message type>`, `id: <seq>`, `data: <the WebSocket message as JSON>`. "
        "Resume with the `Last-Event-ID` header or `?after_seq=`; `: ping` comments keep an idle stream open; "
        "the stream ends after the execution's terminal event.",
        parameters=[
            OpenApiParameter("after_seq", int, description="Only events with a greater seq (default 0)."),
            OpenApiParameter(
                "Last-Event-ID", str, OpenApiParameter.HEADER, description="The last seq received; wins over after_seq."
            ),
        ],
        responses={(200, "text/event-stream"): OpenApiTypes.STR},
    )
    def get(self, request, id):
        raise PlatformError(
            "Event streams are served by the api's ASGI server (daphne config.asgi:application).",
            "streaming_unavailable",
            status=501,
        )
