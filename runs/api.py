"""DRF views for executions and their events: thin adapters over runs.services.

Every queryset starts from a selector scoped to the requesting user, so
someone else's execution is simply not found (404).
"""

from datetime import timezone as dt_timezone
from urllib.parse import urlencode

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, pagination, status, viewsets
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
    BulkResultSerializer,
    BulkRunsSerializer,
    EventPageSerializer,
    EventQuerySerializer,
    ExecutionSerializer,
    InterruptSerializer,
    RerunSerializer,
    RunSerializer,
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
        request=RerunSerializer,
        responses={201: ExecutionSerializer},
        description="Run it again: a new execution of its agent with its input (or the input_data given), "
        "whose rerun_of names this one. A run of a thread or a turn of a room runs again on its own.",
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        execution = self.get_object()
        permissions.check_may_change(request.user, execution.agent.owner_id, permissions.START_EXECUTION)
        data = RerunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rerun = services.rerun_execution(execution, data.validated_data.get("input_data"))
        return Response(ExecutionSerializer(rerun).data, status=status.HTTP_201_CREATED)

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


# --- The runs view: every run one may see ------------------------------------------------


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, compared in UTC: Python takes UTC offsets up to 23:59, PostgreSQL only to 15:59."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(dt_timezone.utc)
        except OverflowError:
            raise forms.ValidationError("Not a time within the supported range.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class RunFilter(django_filters.FilterSet):
    # No DISTINCT (the default): each row matches once anyway, and DISTINCT over every column defeats the index.
    status = django_filters.MultipleChoiceFilter(choices=AgentExecution.Status.choices, distinct=False)
    agent = django_filters.UUIDFilter(field_name="agent_id")
    runtime = django_filters.CharFilter(field_name="agent__runtime")
    thread = django_filters.UUIDFilter(field_name="thread_id")
    room = django_filters.UUIDFilter(field_name="room_id")
    error_code = django_filters.CharFilter()
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="search", max_length=200, label="Text in the run's input or error message (case ignored)."
    )

    class Meta:
        model = AgentExecution
        fields = ["status", "agent", "runtime", "thread", "room", "error_code", "created_after", "created_before"]

    def search(self, queryset, name, value):
        return selectors.search_runs(queryset, value)


class RunPagination(pagination.CursorPagination):
    """Newest first, a page at a time by a cursor on ``created_at``: the index answers it at any depth.

    Pages by number would count and skip every newer row on each page. The
    total is counted up to COUNT_LIMIT: an exact count of a million rows on
    every page would cost more than the page.
    """

    # The id orders runs created in the same microsecond the same way on every page.
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    COUNT_LIMIT = 10_000

    def paginate_queryset(self, queryset, request, view=None):
        self.count = queryset.order_by()[: self.COUNT_LIMIT].count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"].update({
            "count": {"type": "integer", "description": "How many runs match, counted up to count_limit."},
            "count_limit": {"type": "integer", "description": "When count equals it, at least that many match."},
        })
        # Every page has all five (next and previous null at the ends).
        paginated["required"] = ["results", "next", "previous", "count", "count_limit"]
        return paginated

    def get_paginated_response(self, data):
        return Response({
            "results": data, "next": self.get_next_link(), "previous": self.get_previous_link(),
            "count": self.count, "count_limit": self.COUNT_LIMIT,
        })


@extend_schema_view(get=extend_schema(
    operation_id="runs_list", responses=RunSerializer(many=True),
    description="Every execution you may see (staff: everyone's), across agents, threads and rooms, newest "
    "first. Follow `next` for older ones. Live: subscribe to the `runs` stream on /ws/.",
))
class RunListView(generics.ListAPIView):
    serializer_class = RunSerializer
    filterset_class = RunFilter
    pagination_class = RunPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AgentExecution.objects.none()
        return selectors.executions_visible_to(self.request.user).select_related("agent")


class BulkRunsView(APIView):
    """Stop or re-run several runs at once: each as its own request would, reported one by one."""

    success_status = status.HTTP_200_OK

    @staticmethod
    def act(user, execution):
        """Do it to one run the user may see; the execution to report, or a PlatformError."""
        raise NotImplementedError

    def post(self, request):
        query = BulkRunsSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(query.validated_data["ids"]))
        found = selectors.executions_visible_to(request.user).select_related("agent").in_bulk(ids)
        results, errors = [], {}
        for execution_id in ids:
            if execution_id in found:
                try:
                    results.append(self.act(request.user, found[execution_id]))
                except PlatformError as error:
                    errors[str(execution_id)] = {"code": error.code, "message": str(error)}
        not_found = [str(execution_id) for execution_id in ids if execution_id not in found]
        body = {"results": RunSerializer(results, many=True).data, "not_found": not_found, "errors": errors}
        return Response(body, status=self.success_status)


@extend_schema_view(post=extend_schema(
    operation_id="runs_stop", request=BulkRunsSerializer, responses={202: BulkResultSerializer},
    description="Stop each of these runs (idempotent, like POST /api/executions/{id}/stop/).",
))
class BulkStopView(BulkRunsView):
    success_status = status.HTTP_202_ACCEPTED

    @staticmethod
    def act(user, execution):
        permissions.check_may_change(user, execution.agent.owner_id, permissions.STOP_EXECUTION)
        return services.stop_execution(execution)


@extend_schema_view(post=extend_schema(
    operation_id="runs_rerun", request=BulkRunsSerializer, responses={201: BulkResultSerializer},
    description="Run each of these again with its input (like POST /api/executions/{id}/rerun/).",
))
class BulkRerunView(BulkRunsView):
    success_status = status.HTTP_201_CREATED

    @staticmethod
    def act(user, execution):
        permissions.check_may_change(user, execution.agent.owner_id, permissions.START_EXECUTION)
        return services.rerun_execution(execution)


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
