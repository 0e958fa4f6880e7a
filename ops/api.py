"""The operator's views: /metrics, and the workers, queues, agent servers and charts under /api/ops/.

Thin adapters over ``ops.selectors``, ``ops.stats`` and ``ops.exposition``.
"""

import hmac

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4
from rest_framework import authentication, exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.tokens import ExpiringTokenAuthentication
from config.schema import ErrorSerializer

from . import exposition, selectors, stats
from .serializers import (
    AgentServerSerializer,
    QueueSerializer,
    StatsQuerySerializer,
    StatsSerializer,
    WorkerSerializer,
)

STAFF_ONLY = OpenApiResponse(ErrorSerializer, description="Not staff.")


class MetricsTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <METRICS_TOKEN>``: a scraper, which is no user."""

    def authenticate(self, request):
        scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = settings.METRICS_TOKEN
        if not token or not hmac.compare_digest(credentials.strip().encode(), token.encode()):
            raise exceptions.AuthenticationFailed("Invalid metrics token.")
        return (None, "metrics-token")


class IsStaffOrScraper(permissions.BasePermission):
    def has_permission(self, request, view):
        if request.auth == "metrics-token":
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class MetricsView(APIView):
    # Token first: its scheme is what a 401's WWW-Authenticate names.
    authentication_classes = [
        ExpiringTokenAuthentication, MetricsTokenAuthentication, authentication.SessionAuthentication,
    ]
    permission_classes = [IsStaffOrScraper]

    @extend_schema(exclude=True)  # Prometheus's text format, not the REST API
    def get(self, request):
        return HttpResponse(exposition.render(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


class StaffView(APIView):
    permission_classes = [permissions.IsAuthenticated, permissions.IsAdminUser]


class WorkersView(StaffView):
    @extend_schema(responses={200: WorkerSerializer(many=True), 403: STAFF_ONLY},
                   description="Every worker heard from in the last day (staff only).")
    def get(self, request):
        return Response(WorkerSerializer(selectors.workers(), many=True).data)


class QueuesView(StaffView):
    @extend_schema(responses={200: QueueSerializer(many=True), 403: STAFF_ONLY},
                   description="Messages waiting in each Celery queue (staff only).")
    def get(self, request):
        depths = selectors.queue_depths()
        queues = [{"name": name, "depth": depths.get(name)} for name in selectors.queue_names()]
        return Response(QueueSerializer(queues, many=True).data)


class AgentServersView(StaffView):
    @extend_schema(responses={200: AgentServerSerializer(many=True), 403: STAFF_ONLY},
                   description="The agent servers the workers use, with their health seen from the api (staff only).")
    def get(self, request):
        return Response(AgentServerSerializer(selectors.agent_servers(), many=True).data)


class StatsView(APIView):
    @extend_schema(parameters=[StatsQuerySerializer], responses=StatsSerializer,
                   description="Chart series over the last hour (1-minute buckets) or day (15-minute buckets). "
                   "Staff see every run and the queues; others their own runs, and no queues.")
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(StatsSerializer(stats.stats(request.user, query.validated_data["window"])).data)
