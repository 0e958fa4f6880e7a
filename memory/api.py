"""DRF views for long-term memory: thin adapters over memory.services and memory.selectors.

Every queryset is the requesting user's own items, so someone else's item
is simply not found (404).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.schema import field_errors

from . import selectors, services
from .models import MemoryItem
from .serializers import MemoryItemSerializer, MemoryMatchSerializer, MemorySearchQuery


class MemoryItemViewSet(viewsets.ModelViewSet):
    """``/api/memory/``: what your agents remember about you, and ``search/``."""

    serializer_class = MemoryItemSerializer
    filterset_fields = ["namespace", "key"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MemoryItem.objects.none()
        return selectors.items_of(self.request.user).order_by("-updated_at")

    @extend_schema(responses={201: MemoryItemSerializer, 400: field_errors("Invalid fields, or the key is taken.")})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.create_item(
                self.request.user.id, data.get("namespace", "default"), data["key"], data["value"]
            )
        except services.KeyTaken as taken:
            raise serializers.ValidationError({"key": [str(taken)]}) from None

    def perform_update(self, serializer):
        serializer.instance = services.update_item(serializer.instance, serializer.validated_data["value"])

    def perform_destroy(self, item):
        services.delete_item(item)

    @extend_schema(
        parameters=[MemorySearchQuery],
        responses={200: MemoryMatchSerializer(many=True), 400: field_errors("Invalid query parameters.")},
        summary="Search your memory",
        description="Semantic (the query's embedding against each item's) where the item's embedding is "
        "computed and the agent server can be reached; by words otherwise. Best first.",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def search(self, request):
        query = MemorySearchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        matches = selectors.search(request.user.id, params["q"], params.get("namespace"), params["limit"])
        return Response(
            [{**MemoryItemSerializer(match.item).data, "score": round(match.score, 4), "match": match.match}
             for match in matches]
        )
