"""DRF views of the LangGraph-compatible API (``/lg/``): thin adapters over ``langgraph.services`` and selectors.

The long requests (``runs/stream``, ``runs/wait``, ``join``, a cancel that
waits) are consumers on the event loop (``langgraph.consumers``); the rest
is here. Authentication is REST's tokens, sent as LangGraph clients send
them (``x-api-key``) or as ``Authorization: Token``; every read starts from
a selector scoped to the user, so someone else's object is a 404. Errors
are LangGraph's ``{"detail": ...}`` (``langgraph.errors``).
"""

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http_status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import permissions
from agents.tokens import ApiKeyAuthentication, ExpiringTokenAuthentication
from contract.errors import PlatformError
from memory import selectors as memory_selectors
from memory import services as memory_services
from memory.models import MemoryItem
from threads import services as threads_services

from . import crons, selectors, serializers, services, shapes
from .errors import exception_handler

TAG = ["LangGraph"]


class LangGraphView(APIView):
    authentication_classes = [ApiKeyAuthentication, ExpiringTokenAuthentication]
    renderer_classes = [JSONRenderer]
    # drf-spectacular's own: the platform's adds /api/'s error bodies (400 field errors), not LangGraph's.
    schema = AutoSchema()

    def get_exception_handler(self):
        return exception_handler

    def checked(self, serializer_class, data):
        return services.checked(serializer_class, data)

    def thread(self, thread_id):
        return services.thread_of(self.request.user, thread_id)

    def shown(self, thread_id):
        return selectors.thread_objects([self.thread(thread_id)])[0]


def _page(data, default=10):
    offset = data.get("offset") or 0
    return offset, offset + (data.get("limit") or default)


# --- Info and assistants ---------------------------------------------------------------


class InfoView(LangGraphView):
    @extend_schema(tags=TAG, summary="What this server is", responses={200: serializers.InfoOut})
    def get(self, request):
        flags = {"assistants": True, "crons": True}
        return Response({"version": settings.SPECTACULAR_SETTINGS["VERSION"], "flags": flags})


class AssistantSearchView(LangGraphView):
    @extend_schema(tags=TAG, summary="Search assistants (your agents)", request=serializers.AssistantSearch,
                   responses={200: serializers.AssistantOut(many=True)})
    def post(self, request):
        query = self.checked(serializers.AssistantSearch, request.data)
        agents = selectors.assistants_for(request.user, query).order_by("-created_at", "id")
        start, end = _page(query)
        return Response([shapes.assistant(agent) for agent in agents[start:end]])


class AssistantView(LangGraphView):
    @extend_schema(tags=TAG, summary="An assistant", responses={200: serializers.AssistantOut})
    def get(self, request, assistant_id):
        agent = selectors.assistant_for(request.user, assistant_id)
        if agent is None:
            raise services.not_found("Assistant", assistant_id)
        return Response(shapes.assistant(agent))


# --- Threads -----------------------------------------------------------------------


class ThreadsView(LangGraphView):
    @extend_schema(tags=TAG, summary="Create a thread", request=serializers.ThreadCreate,
                   responses={200: serializers.ThreadOut})
    def post(self, request):
        data = self.checked(serializers.ThreadCreate, request.data)
        thread = services.create_thread(
            request.user, thread_id=data.get("thread_id"), metadata=data.get("metadata"),
            if_exists=data.get("if_exists") or "raise",
        )
        return Response(self.shown(thread.id))


class ThreadSearchView(LangGraphView):
    @extend_schema(tags=TAG, summary="Search threads", request=serializers.ThreadSearch,
                   responses={200: serializers.ThreadOut(many=True)})
    def post(self, request):
        query = self.checked(serializers.ThreadSearch, request.data)
        threads = selectors.threads_matching(request.user, query)
        start, end = _page(query)
        return Response(selectors.thread_objects(threads[start:end]))


class ThreadView(LangGraphView):
    @extend_schema(tags=TAG, summary="A thread", responses={200: serializers.ThreadOut})
    def get(self, request, thread_id):
        return Response(self.shown(thread_id))

    @extend_schema(tags=TAG, summary="Change a thread's metadata", request=serializers.ThreadPatch,
                   responses={200: serializers.ThreadOut})
    def patch(self, request, thread_id):
        thread = self.thread(thread_id)
        data = self.checked(serializers.ThreadPatch, request.data)
        permissions.check_may_change(request.user, thread.owner_id, permissions.EDIT_THREAD)
        services.update_metadata(thread, data["metadata"])
        return Response(self.shown(thread_id))

    @extend_schema(tags=TAG, summary="Delete a thread (its unfinished runs are stopped)", responses={204: None})
    def delete(self, request, thread_id):
        thread = self.thread(thread_id)
        permissions.check_may_change(request.user, thread.owner_id, permissions.DELETE_THREAD)
        threads_services.delete_thread(thread)
        return Response(status=http_status.HTTP_204_NO_CONTENT)


class ThreadStateView(LangGraphView):
    @extend_schema(tags=TAG, summary="A thread's current state", responses={200: serializers.ThreadStateOut})
    def get(self, request, thread_id):
        thread = self.thread(thread_id)
        states = selectors.thread_history(thread, limit=1)
        return Response(states[0] if states else selectors.empty_state(thread))


class ThreadHistoryView(LangGraphView):
    @extend_schema(tags=TAG, summary="A thread's states, newest first", request=serializers.HistoryQuery,
                   responses={200: serializers.ThreadStateOut(many=True)})
    def post(self, request, thread_id):
        thread = self.thread(thread_id)
        query = self.checked(serializers.HistoryQuery, request.data)
        before = query.get("before")
        if isinstance(before, dict):
            before = (before.get("configurable") or before).get("checkpoint_id")
        return Response(selectors.thread_history(thread, limit=query.get("limit") or 10, before=before))

    @extend_schema(tags=TAG, summary="A thread's states, newest first",
                   parameters=[OpenApiParameter("limit", int)], responses={200: serializers.ThreadStateOut(many=True)})
    def get(self, request, thread_id):
        thread = self.thread(thread_id)
        query = self.checked(serializers.HistoryQuery, request.query_params)
        return Response(selectors.thread_history(thread, limit=query.get("limit") or 10))


# --- Runs --------------------------------------------------------------------------


class RunsView(LangGraphView):
    @extend_schema(tags=TAG, summary="Start a run in the background", request=serializers.RunCreate,
                   responses={200: serializers.RunOut})
    def post(self, request, thread_id):
        run, _ = services.create_run(request.user, thread_id, request.data)
        path = f"/threads/{run.thread_id}/runs/{run.id}"
        return Response(shapes.run(run, run.execution, False), headers={"Content-Location": path})

    @extend_schema(tags=TAG, summary="A thread's runs, newest first", parameters=[serializers.RunList],
                   responses={200: serializers.RunOut(many=True)})
    def get(self, request, thread_id):
        thread = self.thread(thread_id)
        query = self.checked(serializers.RunList, request.query_params)
        runs = selectors.runs_of_thread(
            thread, status=query.get("status"), limit=query.get("limit") or 10, offset=query.get("offset") or 0
        )
        return Response([shapes.run(run, run.execution, paused) for run, paused in runs])


class RunView(LangGraphView):
    @extend_schema(tags=TAG, summary="A run", responses={200: serializers.RunOut})
    def get(self, request, thread_id, run_id):
        run, paused = services.run_of(request.user, thread_id, run_id)
        return Response(shapes.run(run, run.execution, paused))


class CancelRunsView(LangGraphView):
    @extend_schema(tags=TAG, summary="Cancel several runs", request=serializers.CancelMany,
                   parameters=[OpenApiParameter("action", OpenApiTypes.STR, enum=["interrupt", "rollback"])],
                   responses={204: None})
    def post(self, request):
        query = self.checked(serializers.CancelMany, request.data)
        action = request.query_params.get("action", "interrupt")
        if action not in ("interrupt", "rollback"):
            raise PlatformError("action must be interrupt or rollback.", "invalid_field", status=422,
                                fields={"action": ["Must be interrupt or rollback."]})
        thread = self.thread(query["thread_id"]) if query.get("thread_id") else None
        services.cancel_runs(request.user, selectors.runs_to_cancel(request.user, thread, query), action)
        return Response(status=http_status.HTTP_204_NO_CONTENT)


# --- Crons ---------------------------------------------------------------------------


def _cron(cron, select=None):
    return shapes.cron(cron, crons.next_run_date(cron), select)


class CronsView(LangGraphView):
    @extend_schema(tags=TAG, summary="Schedule a run on a new thread each time", request=serializers.CronCreate,
                   responses={200: serializers.CronOut})
    def post(self, request):
        return Response(_cron(crons.create_cron(request.user, request.data)))


class ThreadCronsView(LangGraphView):
    @extend_schema(tags=TAG, summary="Schedule a run on a thread", request=serializers.CronCreate,
                   responses={200: serializers.CronOut})
    def post(self, request, thread_id):
        return Response(_cron(crons.create_cron(request.user, request.data, thread_id=thread_id)))


class CronSearchView(LangGraphView):
    @extend_schema(tags=TAG, summary="Search crons", request=serializers.CronSearch,
                   responses={200: serializers.CronOut(many=True)})
    def post(self, request):
        found, select = crons.crons_matching(request.user, request.data)
        return Response([_cron(cron, select) for cron in found])


class CronCountView(LangGraphView):
    @extend_schema(tags=TAG, summary="Count crons", request=serializers.CronCount, responses={200: OpenApiTypes.INT})
    def post(self, request):
        return Response(crons.crons_matching(request.user, request.data, count=True))


class CronView(LangGraphView):
    @extend_schema(tags=TAG, summary="Change a cron", request=serializers.CronUpdate,
                   responses={200: serializers.CronOut})
    def patch(self, request, cron_id):
        return Response(_cron(crons.update_cron(request.user, cron_id, request.data)))

    @extend_schema(tags=TAG, summary="Delete a cron (the runs it made stay)", responses={204: None})
    def delete(self, request, cron_id):
        crons.delete_cron(request.user, cron_id)
        return Response(status=http_status.HTTP_204_NO_CONTENT)


# --- Store (long-term memory) -----------------------------------------------------------


def _namespace(parts):
    return ".".join(parts)


def _item(item, score=None):
    shown = {
        "namespace": item.namespace.split("."), "key": item.key, "value": item.value,
        "created_at": shapes._time(item.created_at), "updated_at": shapes._time(item.updated_at),
    }
    if score is not None:
        shown["score"] = score
    return shown


class StoreItemsView(LangGraphView):
    @extend_schema(tags=TAG, summary="Store an item (upsert)", request=serializers.StoreItemPut, responses={204: None})
    def put(self, request):
        data = self.checked(serializers.StoreItemPut, request.data)
        namespace = _namespace(data["namespace"])
        if data["value"] is None:
            MemoryItem.objects.filter(owner_id=request.user.id, namespace=namespace, key=data["key"]).delete()
        else:
            memory_services.write_item(request.user.id, namespace, data["key"], data["value"])
        return Response(status=http_status.HTTP_204_NO_CONTENT)

    @extend_schema(tags=TAG, summary="An item", parameters=[serializers.StoreItemQuery],
                   responses={200: serializers.StoreItemOut})
    def get(self, request):
        query = self.checked(serializers.StoreItemQuery, request.query_params)
        item = memory_selectors.items_of(request.user).filter(namespace=query["namespace"], key=query["key"]).first()
        if item is None:
            raise services.not_found("Item", f"{query['namespace']}/{query['key']}")
        return Response(_item(item))

    @extend_schema(tags=TAG, summary="Delete an item", request=serializers.StoreItemRef, responses={204: None})
    def delete(self, request):
        data = self.checked(serializers.StoreItemRef, request.data)
        items = memory_selectors.items_of(request.user)
        items.filter(namespace=_namespace(data["namespace"]), key=data["key"]).delete()
        return Response(status=http_status.HTTP_204_NO_CONTENT)


class StoreSearchView(LangGraphView):
    @extend_schema(tags=TAG, summary="Search items", request=serializers.StoreSearch,
                   responses={200: serializers.StoreSearchOut})
    def post(self, request):
        query = self.checked(serializers.StoreSearch, request.data)
        prefix = _namespace(query.get("namespace_prefix") or [])
        start, end = _page(query)
        wanted = query.get("filter") or {}
        if query.get("query"):
            scan = settings.AGENTS["MEMORY_SEARCH_SCAN"]
            matches = memory_selectors.search(request.user.id, query["query"], limit=scan)
            found = [(match.item, match.score) for match in matches]
        else:
            found = [(item, None) for item in memory_selectors.items_of(request.user).order_by("-updated_at")]
        found = [
            (item, score) for item, score in found
            if _under(item.namespace, prefix) and isinstance(item.value, dict)
            and all(item.value.get(key) == value for key, value in wanted.items())
        ]
        return Response({"items": [_item(item, score) for item, score in found[start:end]]})


def _under(namespace, prefix):
    return not prefix or namespace == prefix or namespace.startswith(prefix + ".")


class StoreNamespacesView(LangGraphView):
    @extend_schema(tags=TAG, summary="List namespaces", request=serializers.StoreNamespaces,
                   responses={200: serializers.NamespacesOut})
    def post(self, request):
        query = self.checked(serializers.StoreNamespaces, request.data)
        prefix, suffix = query.get("prefix") or [], query.get("suffix") or []
        depth = query.get("max_depth")
        names = set()
        for namespace in memory_selectors.items_of(request.user).values_list("namespace", flat=True).distinct():
            parts = namespace.split(".")
            if parts[: len(prefix)] != prefix or (suffix and parts[-len(suffix):] != suffix):
                continue
            names.add(tuple(parts[:depth] if depth else parts))
        start, end = _page(query, default=100)
        return Response({"namespaces": [list(parts) for parts in sorted(names)[start:end]]})

