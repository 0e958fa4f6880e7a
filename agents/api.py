"""DRF views for agents, runtimes and the dashboard's session: thin adapters over services.

Every queryset starts from a selector that scopes it to the requesting user,
so someone else's object is simply not found (404).
"""

from django.contrib.auth import login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.limits import JSONParser
from config.schema import ErrorSerializer, field_errors
from config.throttling import AUTH_THROTTLES
from runs import services as runs_services
from runs.serializers import ExecutionCreateSerializer, ExecutionSerializer

from . import permissions, selectors, services, tokens
from .models import Agent
from .runtimes import runtime_catalog
from .serializers import AgentSerializer, LoginSerializer, RuntimeSerializer, TokenSerializer, UserSerializer


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

    def perform_update(self, serializer):
        permissions.check_may_change(self.request.user, serializer.instance.owner_id, permissions.EDIT_AGENT)
        serializer.save()

    def perform_destroy(self, agent):
        permissions.check_may_change(self.request.user, agent.owner_id, permissions.DELETE_AGENT)
        services.delete_agent(agent)

    @extend_schema(
        request=ExecutionCreateSerializer,
        responses={
            201: ExecutionSerializer,
            409: field_errors("The agent is inactive."),
            429: OpenApiResponse(
                ErrorSerializer,
                description="Past the start rate (throttled; Retry-After says when), or every slot of yours "
                "is taken and on_limit is reject (concurrency_limit).",
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="executions", filter_backends=[])
    def start_execution(self, request, pk=None):
        agent = self.get_object()
        permissions.check_may_change(request.user, agent.owner_id, permissions.START_EXECUTION)
        serializer = ExecutionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        execution = runs_services.start_execution(
            agent, data["input_data"], wait_for_slot=data["on_limit"] == "wait"
        )
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)


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
    throttle_classes = AUTH_THROTTLES

    @extend_schema(request=LoginSerializer, responses=UserSerializer, auth=[])
    def post(self, request):
        serializer = LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        login(request, serializer.validated_data["user"])
        return Response(UserSerializer(serializer.validated_data["user"]).data)


class TokenView(ObtainAuthToken):
    """The caller's API token: obtained with a password, revoked at will."""

    parser_classes = [JSONParser]
    throttle_classes = AUTH_THROTTLES  # for POST only (get_throttles)

    def get_authenticators(self):
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        return [throttle() for throttle in AUTH_THROTTLES] if self.request.method == "POST" else []

    @extend_schema(
        request=AuthTokenSerializer,
        responses=TokenSerializer,
        auth=[],
        description="The API token for a username and password (anonymous: it is how a client gets "
        "credentials). The same token comes back until it expires or is revoked.",
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = tokens.issue_token(serializer.validated_data["user"])
        return Response(TokenSerializer({"token": token.key, "expires_at": tokens.expires_at(token)}).data)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Revoke the caller's token: every client using it is refused from now on.",
    )
    def delete(self, request, *args, **kwargs):
        tokens.revoke_tokens(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(APIView):
    """Ends the session and revokes the user's API token."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        tokens.revoke_tokens(request.user)
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
