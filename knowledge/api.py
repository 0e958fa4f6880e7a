"""DRF views for an agent's knowledge documents: thin adapters over knowledge.services."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from agents import permissions
from agents.selectors import agents_visible_to

from . import services
from .models import AgentDocument
from .serializers import DocumentSerializer, DocumentUploadSerializer


class DocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """An agent's knowledge documents: list, upload (multipart field ``file``), delete."""

    serializer_class = DocumentSerializer
    lookup_url_kwarg = "id"
    parser_classes = [MultiPartParser, FormParser]

    def get_agent(self):
        agents = agents_visible_to(self.request.user)
        return get_object_or_404(agents, id=self.kwargs["agent_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AgentDocument.objects.none()
        # The file itself stays in the database; lists never load it.
        return AgentDocument.objects.filter(agent=self.get_agent()).defer("content")

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer}, responses={201: DocumentSerializer})
    def create(self, request, agent_id=None):
        agent = self.get_agent()
        permissions.check_may_change(request.user, agent.owner_id, permissions.ADD_DOCUMENT)
        upload = DocumentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        document = services.add_document(agent, **upload.document_fields())
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, document):
        permissions.check_may_change(self.request.user, document.agent.owner_id, permissions.DELETE_DOCUMENT)
        services.delete_document(document)
