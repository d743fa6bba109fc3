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


# --- access requests ----------------------------------------------------------------------------------------------


class WholeDaysField(serializers.IntegerField):
    """A whole number of days as a JSON number: "30", 30.0 and true are refused (the schema says integer)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)  # type: ignore[no-any-return]


class JsonBooleanField(serializers.BooleanField):
    """true or false as JSON: "yes", "1" and 1 are refused (the schema says boolean)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def _term_field(help_text: str) -> WholeDaysField:
    return WholeDaysField(min_value=1, max_value=365, required=False, default=30, help_text=help_text)


class AccessRequestInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the buyer needs the restricted evidence.")


class AccessApproveInput(serializers.Serializer):
    expires_in_days = _term_field(
        "How long the access lasts, 1–365 days (default 30), from approval or from the NDA's acceptance."
    )
    nda = serializers.CharField(
        max_length=20_000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional NDA text: access opens only when the buyer accepts it (POST …/accept-nda/).",
    )


class AccessDenyInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the request is denied (the buyer reads it).")


class AccessReactivateInput(serializers.Serializer):
    expires_in_days = _term_field("A fresh term, 1–365 days (default 30).")


class AccessAcceptNdaInput(serializers.Serializer):
    nda_sha256 = serializers.CharField(
        max_length=64,
        required=False,
        help_text="Optional: the SHA-256 of the NDA text the buyer read; refused (400) if the text is another.",
    )


class AccessNdaOutput(serializers.Serializer):
    required = serializers.SerializerMethodField()  # type: ignore[assignment]
    text = serializers.CharField(source="nda_text")
    sha256 = serializers.CharField(source="nda_sha256")
    accepted_at = serializers.DateTimeField(source="nda_accepted_at", allow_null=True)
    accepted_by = serializers.CharField(source="nda_accepted_by.username", allow_null=True, default=None)
    accepted_address = serializers.CharField(source="nda_accepted_address")

    def get_required(self, obj: Any) -> bool:
        return bool(obj.nda_text)


class AccessRequestEventOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    # "from" is a keyword: declared through the class namespace, so the schema and the body both say "from"
    locals()["from"] = serializers.CharField(source="from_status", help_text="Empty for the request itself.")
    to = serializers.CharField(source="to_status")
    note = serializers.CharField()


class AccessRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    agent = serializers.CharField(source="agent.slug")
    vendor = serializers.CharField(source="agent.organization.slug")
    organization = serializers.CharField(source="organization.slug", help_text="The buyer organization.")
    requested_by = serializers.CharField(source="requested_by.username")
    reason = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["pending", "approved", "denied", "expired", "revoked"],
        source="current_status",
        help_text="With time applied: an approval whose grant has run out is expired.",
    )
    active = serializers.BooleanField(
        source="is_active",
        help_text="The buyer may see the restricted evidence now (approved, NDA accepted, unexpired).",
    )
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    auto_rule = serializers.CharField(help_text='"engaged_buyers" or "email_domain" when approved automatically.')
    denial_reason = serializers.CharField()
    expires_in_days = serializers.IntegerField(allow_null=True)
    expires_at = serializers.DateTimeField(source="grant.expires_at", allow_null=True, default=None)
    revoked_at = serializers.DateTimeField(allow_null=True)
    grant = serializers.IntegerField(source="grant_id", allow_null=True)
    nda = AccessNdaOutput(source="*")
    actions = serializers.SerializerMethodField()

    def get_actions(self, obj: Any) -> list[str]:
        actions = self.context.get("actions", {})
        return list(actions.get(obj.pk, []))


class AccessRequestDetailOutput(AccessRequestOutput):
    events = AccessRequestEventOutput(many=True, source="events.all")


def _given(field: serializers.Field, dictionary: Any) -> Any:
    """A query filter given empty is refused, not read as absent (DRF reads ``?status=`` as no value)."""
    return "" if dictionary.get(field.field_name) == "" else serializers.empty


class StrictChoiceFilter(serializers.ChoiceField):
    def get_value(self, dictionary: Any) -> Any:
        given = _given(self, dictionary)
        return super().get_value(dictionary) if given is serializers.empty else given


class StrictSlugFilter(serializers.SlugField):
    def get_value(self, dictionary: Any) -> Any:
        given = _given(self, dictionary)
        return super().get_value(dictionary) if given is serializers.empty else given


class AccessRequestListQuery(serializers.Serializer):
    status = StrictChoiceFilter(
        choices=["pending", "approved", "denied", "expired", "revoked"], required=False, default=""
    )
    agent = StrictSlugFilter(required=False, default="", max_length=80)


class AccessRuleInput(serializers.Serializer):
    engaged_buyers = JsonBooleanField(required=False, default=False)
    email_domains = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False, default=list, max_length=50
    )
    expires_in_days = _term_field("What an automatic approval grants, 1–365 days (default 30).")
    nda = serializers.CharField(max_length=20_000, required=False, allow_blank=True, default="")


class AccessRuleOutput(serializers.Serializer):
    agent = serializers.CharField()
    engaged_buyers = serializers.BooleanField()
    email_domains = serializers.ListField(child=serializers.CharField())
    expires_in_days = serializers.IntegerField()
    nda = serializers.CharField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField(allow_null=True)


class AccessLogOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = serializers.CharField(source="user.username")
    organization = serializers.CharField(source="organization.slug", allow_null=True, default=None)
    record = serializers.IntegerField(source="record_id")
    via = serializers.ChoiceField(choices=["record", "bundle"])
