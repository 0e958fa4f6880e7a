"""DRF views for rooms: thin adapters over rooms.services.

Every queryset starts from a selector scoped to the requesting user, so
someone else's room is simply not found (404).
"""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agents import permissions
from config.schema import field_errors
from runs.api import ExecutionStreamView

from . import selectors, services
from .models import Room
from .serializers import (
    PauseSerializer,
    RoomEventSerializer,
    RoomMessageSerializer,
    RoomSerializer,
    StartSerializer,
    TurnSerializer,
)


class RoomViewSet(viewsets.ModelViewSet):
    serializer_class = RoomSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Room.objects.none()
        return selectors.rooms_visible_to(self.request.user)

    def perform_create(self, serializer):
        seats = serializer.validated_data.pop("seats")
        with transaction.atomic():
            room = serializer.save(owner=self.request.user)
            services.set_seats(room, seats, self.request.user)

    def perform_update(self, serializer):
        room = serializer.instance
        permissions.check_may_change(self.request.user, room.owner_id, permissions.EDIT_ROOM)
        serializer.instance = services.update_room(room, serializer.validated_data, self.request.user)

    def perform_destroy(self, room):
        services.delete_room(room, self.request.user)

    def _shown(self, room):
        return Response(RoomSerializer(self.get_queryset().get(id=room.id)).data)

    @extend_schema(request=StartSerializer,
                   responses={200: RoomSerializer, 400: field_errors("The room has no task (say one).")},
                   description="Start the idle room on its task (or this one): its first round begins. 409 when "
                   "it has started already.")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        data = self._checked(StartSerializer, request)
        return self._shown(services.start(self.get_object(), request.user, task=data.get("task")))

    @extend_schema(request=PauseSerializer, responses={200: RoomSerializer},
                   description="Pause between turns: the running turns end first (pause_requested), unless "
                   "pause_now stops them, to be run again on resume. Pausing a paused room changes nothing.")
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        data = self._checked(PauseSerializer, request)
        return self._shown(services.pause(self.get_object(), request.user, now=data.get("pause_now", False)))

    @extend_schema(request=None, responses={200: RoomSerializer},
                   description="Go on with the next turn of a paused room (or cancel a pause not yet in effect).")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._shown(services.resume(self.get_object(), request.user))

    @extend_schema(request=None, responses={200: RoomSerializer},
                   description="End the room now, stopping its running turns. Stopping an ended room changes nothing.")
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        return self._shown(services.stop(self.get_object(), request.user))

    @extend_schema(responses={200: RoomMessageSerializer(many=True)},
                   description="What the room has said, in order: its task, then each turn's answer.")
    @action(detail=True, methods=["get"])
    def messages(self, request, pk=None):
        return self._page(self.get_object().messages.select_related("seat", "agent").order_by("id"),
                          RoomMessageSerializer)

    @extend_schema(responses={200: TurnSerializer(many=True)},
                   description="The room's turns, round by round in seat order: each an execution of its agent.")
    @action(detail=True, methods=["get"])
    def turns(self, request, pk=None):
        turns = self.get_object().turns.select_related("seat", "execution").order_by("round", "seat__position", "id")
        return self._page(turns, TurnSerializer)

    @extend_schema(responses={200: RoomEventSerializer(many=True)},
                   description="What happened to the room, in seq order. Its turns' own events are theirs; they share "
                   "the room's sequence, so seqs here have gaps where a turn's event came (the room's stream has "
                   "them all).")
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        return self._page(self.get_object().events.filter(execution=None).order_by("seq"), RoomEventSerializer)

    def _page(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    @staticmethod
    def _checked(serializer_class, request):
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class RoomStreamView(ExecutionStreamView):
    """The schema's entry for ``GET /api/rooms/{id}/stream/`` (served by ``realtime.sse``, as an execution's)."""

    @extend_schema(
        operation_id="rooms_stream",
        summary="Follow a room as server-sent events",
        description="Every event of the room and of its turns, in one order (the room's `room_seq`), from its "
        "start; the stream ends after room_completed, room_stopped or room_failed. Each frame is "
        "`event: <message type>`, `id: <cursor>`, `data: <the WebSocket message as JSON, with its stream, "
        "cursor, room_id and room_seq>`: a turn's event is the execution's own event message. Resume with the "
        "`Last-Event-ID` header or `?cursor=` (a frame's id, as it came): nothing is lost or repeated. "
        "`: ping` comments keep an idle stream open.",
        parameters=[
            OpenApiParameter("cursor", str, description="Only what comes after this cursor (default: from the "
                             "room's first event)."),
            OpenApiParameter(
                "Last-Event-ID", str, OpenApiParameter.HEADER, description="The last cursor received; wins over cursor."
            ),
        ],
        responses={(200, "text/event-stream"): OpenApiTypes.STR},
    )
    def get(self, request, id):
        return super().get(request, id)
