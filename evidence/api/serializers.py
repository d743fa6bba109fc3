"""Output serializers for evidence (input is checked by ``evidence.validation`` on the hot path)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evidence.models import AccessGrant, EvidenceImport, EvidenceRecord, Kind
from trust_portal.api.params import StrictDateTimeField


class EvidenceRecordOutput(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.slug")
    source = serializers.SerializerMethodField()  # type: ignore[assignment]
    measurement = serializers.SerializerMethodField()
    attachment = serializers.SerializerMethodField()
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    import_id = serializers.IntegerField(source="evidence_import_id", allow_null=True)

    class Meta:
        model = EvidenceRecord
        fields = [
            "id",
            "agent",
            "kind",
            "metric",
            "value",
            "values",
            "successes",
            "trials",
            "sample_count",
            "observed_from",
            "observed_to",
            "source",
            "payload",
            "measurement",
            "visibility",
            "attachment",
            "corrects",
            "import_id",
            "received_at",
            "canonical_hash",
        ]

    @extend_schema_field({"type": "object", "properties": {"tool": {"type": "string"}, "version": {"type": "string"}}})
    def get_source(self, record: EvidenceRecord) -> dict[str, str]:
        return {"tool": record.source_tool, "version": record.source_version}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_measurement(self, record: EvidenceRecord) -> dict[str, str]:
        out = {
            "task": record.task_name,
            "task_version": record.task_version,
            "dataset_hash": record.dataset_hash,
            "scorer": record.scorer,
        }
        return {k: v for k, v in out.items() if v}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "description": "null when the record has no attachment.",
            "properties": {
                "sha256": {"type": "string"},
                "content_type": {"type": "string"},
                "size": {"type": "integer"},
                "filename": {"type": "string"},
                "url": {"type": "string"},
            },
            "required": ["sha256", "content_type", "size", "filename", "url"],
        }
    )
    def get_attachment(self, record: EvidenceRecord) -> dict[str, Any] | None:
        if record.attachment is None:
            return None
        a = record.attachment
        return {
            "sha256": a.sha256,
            "content_type": a.content_type,
            "size": a.size,
            "filename": record.attachment_name,
            "url": reverse("evidence:attachment", args=[record.pk]),
        }


class SubmittedRecordOutput(serializers.Serializer):
    id = serializers.IntegerField()
    canonical_hash = serializers.CharField()


class BatchOutput(serializers.Serializer):
    count = serializers.IntegerField()
    records = SubmittedRecordOutput(many=True)


class ImportOutput(serializers.ModelSerializer):
    created = serializers.BooleanField(
        help_text="False when this file (or this run) was imported before: nothing new was stored."
    )

    class Meta:
        model = EvidenceImport
        fields = [
            "id",
            "format",
            "file_sha256",
            "filename",
            "tool",
            "tool_version",
            "task",
            "dataset",
            "run_id",
            "record_count",
            "created_at",
            "created",
        ]


class GrantInput(serializers.Serializer):
    organization = serializers.SlugField(help_text="The buyer organization's slug.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class GrantOutput(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.slug")
    agent = serializers.CharField(source="agent.slug")
    is_active = serializers.BooleanField()

    class Meta:
        model = AccessGrant
        fields = ["id", "agent", "organization", "created_at", "expires_at", "revoked_at", "note", "is_active"]


class IngestTokenInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    agents = serializers.ListField(child=serializers.SlugField(), min_length=1, max_length=200)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class EvidenceListQuery(serializers.Serializer):
    """The evidence list's filters (query parameters)."""

    kind = serializers.ChoiceField(choices=[k.value for k in Kind], required=False, default="", allow_blank=True)
    metric = serializers.CharField(required=False, default="", allow_blank=True, max_length=63)
    source = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)  # type: ignore[assignment]
    observed_after = StrictDateTimeField(required=False, allow_null=True, default=None, help_text="RFC 3339")
    observed_before = StrictDateTimeField(required=False, allow_null=True, default=None, help_text="RFC 3339")
