"""DRF views: thin adapters that parse, authorize, and call a service.

Every queryset starts from a selector that scopes it to the requesting user,
so someone else's object is simply not found (404).
"""

from urllib.parse import urlencode

import django_filters
from django.contrib.auth import login, logout
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .models import Agent, AgentDocument, AgentExecution
from .runtimes import runtime_catalog
from .serializers import (
    AgentSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    EventPageSerializer,
    EventQuerySerializer,
    ExecutionCreateSerializer,
    ExecutionSerializer,
    LoginSerializer,
    RuntimeSerializer,
    UserSerializer,
)


class AgentViewSet(viewsets.ModelViewSet):
    serializer_class = AgentSerializer
    filterset_fields = ["status", "runtime"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Agent.objects.none()
        if self.action == "start_execution":  # the hot path needs no annotations
            return selectors.agents_visible_to(self.request.user)
        return selectors.agents_with_latest_execution(self.request.user)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def perform_destroy(self, agent):
        services.delete_agent(agent)

    @extend_schema(request=ExecutionCreateSerializer, responses={201: ExecutionSerializer})
    @action(detail=True, methods=["post"], url_path="executions", filter_backends=[])
    def start_execution(self, request, pk=None):
        agent = self.get_object()
        serializer = ExecutionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            execution = services.start_execution(agent, serializer.validated_data["input_data"])
        except services.AgentInactive as error:
            return Response({"status": [error.message]}, status=status.HTTP_409_CONFLICT)
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)


class ExecutionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AgentExecution.Status.choices)

    class Meta:
        model = AgentExecution
        fields = ["agent", "status"]


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
        execution = services.stop_execution(self.get_object())
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


class DocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """An agent's knowledge documents: list, upload (multipart field ``file``), delete."""

    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_agent(self):
        agents = selectors.agents_visible_to(self.request.user)
        return get_object_or_404(agents, id=self.kwargs["agent_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AgentDocument.objects.none()
        # The file itself stays in the database; lists never load it.
        return AgentDocument.objects.filter(agent=self.get_agent()).defer("content")

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer}, responses={201: DocumentSerializer})
    def create(self, request, agent_pk=None):
        agent = self.get_agent()
        upload = DocumentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        document = services.add_document(agent, **upload.document_fields())
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, document):
        services.delete_document(document)


class RuntimeListView(APIView):
    @extend_schema(responses=RuntimeSerializer(many=True))
    def get(self, request):
        return Response(runtime_catalog())


@method_decorator(ensure_csrf_cookie, name="dispatch")
class MeView(APIView):
    """The logged-in user; also hands the dashboard its CSRF cookie."""

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


@method_decorator(csrf_protect, name="dispatch")
class LoginView(APIView):
    """Session login for the dashboard (CSRF-protected, unlike DRF's default for anonymous posts)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=LoginSerializer, responses=UserSerializer)
    def post(self, request):
        serializer = LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        login(request, serializer.validated_data["user"])
        return Response(UserSerializer(serializer.validated_data["user"]).data)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
