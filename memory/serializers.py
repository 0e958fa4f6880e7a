"""REST representations of memory items."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.limits import json_value_error

from .models import MemoryItem

# A value is a remembered fact, not a document: small enough to put in a prompt.
MAX_VALUE_BYTES = 16 * 1024
NAME = r"^[\w.:/-]+$"


@extend_schema_field(OpenApiTypes.ANY)
class MemoryValueField(serializers.JSONField):
    """Any JSON value (a string, a number, an object...), at most 16 KiB."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        problem = json_value_error(value, MAX_VALUE_BYTES)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class MemoryItemSerializer(serializers.ModelSerializer):
    # Optional without a ``default=``, which would make generated clients send it:
    # an item created without one is in "default" (``MemoryItemViewSet.perform_create``).
    namespace = serializers.RegexField(
        NAME, max_length=100, required=False,
        error_messages={"invalid": "Letters, digits and _ . : / - only."},
    )
    key = serializers.RegexField(
        NAME, max_length=200, error_messages={"invalid": "Letters, digits and _ . : / - only."}
    )
    value = MemoryValueField()

    class Meta:
        model = MemoryItem
        fields = ["id", "namespace", "key", "value", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # An item is its (namespace, key): a new name is a new item.
            fields["namespace"].read_only = fields["key"].read_only = True
        return fields


class MemorySearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=2000, help_text="What to look for, in words.")
    namespace = serializers.CharField(max_length=100, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class MemoryMatchSerializer(MemoryItemSerializer):
    score = serializers.FloatField(help_text="Higher is closer; a semantic match is a cosine, a keyword one at most 0.5.")
    match = serializers.ChoiceField(choices=["semantic", "keyword"])

    class Meta(MemoryItemSerializer.Meta):
        fields = [*MemoryItemSerializer.Meta.fields, "score", "match"]
