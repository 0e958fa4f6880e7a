"""REST representations of knowledge documents, and the upload's checks."""

from django.conf import settings
from rest_framework import serializers

from config.limits import size_text
from contract.errors import PlatformError

from .models import AgentDocument


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentDocument
        fields = ["id", "agent", "filename", "content_type", "size", "status", "error_message", "chunks", "created_at", "updated_at"]
        read_only_fields = fields


# What the agent server can read, by file extension (browsers disagree on
# the content type of a .md file, so the extension decides).
DOCUMENT_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown", ".pdf": "application/pdf"}


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()

    def validate_file(self, upload):
        if _suffix(upload.name) not in DOCUMENT_TYPES:
            raise serializers.ValidationError("Upload a text (.txt), Markdown (.md) or PDF (.pdf) file.")
        limit = settings.AGENTS["DOCUMENT_MAX_BYTES"]
        if upload.size > limit:
            # A 413 like a body past MAX_UPLOAD_BYTES (config/http.py), not a field error: the same refusal.
            raise PlatformError(f"The file is larger than {size_text(limit)}.", "too_large", status=413)
        if upload.size == 0:
            raise serializers.ValidationError("The file is empty.")
        return upload

    def document_fields(self):
        upload = self.validated_data["file"]
        return {"filename": upload.name, "content_type": DOCUMENT_TYPES[_suffix(upload.name)], "content": upload.read()}


def _suffix(filename):
    return "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
