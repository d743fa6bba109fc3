"""Admin for evidence: records and everything around them are shown, never changed; access grants and
signing keys are revoked through their services."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from evidence.models import (
    AccessGrant,
    AccessLogEntry,
    AccessRequest,
    Attachment,
    EvidenceImport,
    EvidenceRecord,
    IdempotencyKey,
    MetricBucket,
    TokenAgentScope,
    VendorKey,
)
from evidence.services import access_grant_revoke, vendor_key_revoke
from trust_portal.admin import ReadOnlyAdmin, apply_per_object


@admin.register(EvidenceRecord)
class EvidenceRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "agent",
        "kind",
        "metric",
        "sample_count",
        "observed_to",
        "visibility",
        "signed_by",
        "leaf_index",
        "received_at",
    ]
    list_filter = ["kind", "visibility"]
    list_select_related = ["agent", "signed_by"]
    search_fields = ["metric", "agent__slug", "canonical_hash"]
    show_full_result_count = False  # the table is large: no second COUNT(*) when filtering


@admin.register(EvidenceImport)
class EvidenceImportAdmin(ReadOnlyAdmin):
    list_display = ["id", "agent", "format", "tool", "tool_version", "record_count", "submitted_by", "created_at"]
    list_filter = ["format"]
    list_select_related = ["agent", "submitted_by"]
    search_fields = ["agent__slug", "file_sha256", "filename", "run_id", "task"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["sha256", "organization", "content_type", "size", "filename", "created_at"]
    list_filter = ["content_type"]
    search_fields = ["sha256", "filename"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["scope", "key", "state", "response_status", "created_at"]
    list_filter = ["state"]
    search_fields = ["scope", "key"]


@admin.register(TokenAgentScope)
class TokenAgentScopeAdmin(ReadOnlyAdmin):
    list_display = ["token", "token__user", "agent"]
    list_select_related = ["token__user", "agent"]
    search_fields = ["token__prefix", "token__name", "token__user__username", "agent__slug"]


@admin.register(MetricBucket)
class MetricBucketAdmin(ReadOnlyAdmin):
    list_display = ["agent", "metric", "span", "start", "kind", "signed", "counts", "records", "newest"]
    list_filter = ["span", "kind", "signed", "counts"]
    list_select_related = ["agent"]
    search_fields = ["agent__slug", "metric"]
    show_full_result_count = False


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = ["agent", "organization", "granted_by", "created_at", "expires_at", "revoked_at", "active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["agent", "organization", "granted_by"]
    search_fields = ["agent__slug", "agent__name", "organization__name"]
    actions = ["revoke"]

    @admin.display(boolean=True, description="Active")
    def active(self, grant: AccessGrant) -> bool:
        return grant.is_active

    @admin.action(description="Revoke selected grants")
    def revoke(self, request: HttpRequest, queryset: QuerySet[AccessGrant]) -> None:
        def change(grant: AccessGrant) -> bool:
            if grant.revoked_at is not None:
                return False
            access_grant_revoke(grant=grant, user=request.user)  # type: ignore[arg-type]
            return True

        apply_per_object(
            self,
            request,
            queryset.select_related("agent", "organization"),
            change,
            done="revoked",
            unchanged="already revoked",
        )


@admin.register(VendorKey)
class VendorKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "key_id", "organization", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["name", "key_id", "organization__name"]
    actions = ["revoke"]

    @admin.action(description="Revoke selected signing keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[VendorKey]) -> None:
        def change(key: VendorKey) -> bool:
            if key.revoked_at is not None:
                return False
            vendor_key_revoke(user=request.user, key=key)  # type: ignore[arg-type]
            return True

        apply_per_object(
            self, request, queryset.select_related("organization"), change, done="revoked", unchanged="already revoked"
        )


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    """Shown, never changed: decisions are the vendor's owners' (evidence.access_requests), with their audit trail."""

    list_display = ["id", "agent", "organization", "requested_by", "status", "auto_rule", "created_at", "decided_at"]
    list_filter = ["status", "auto_rule"]
    list_select_related = ["agent", "organization", "requested_by"]
    search_fields = ["agent__slug", "organization__name", "requested_by__username"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "agent", "record", "user", "organization", "via"]
    list_filter = ["via"]
    list_select_related = ["agent", "user", "organization"]
    search_fields = ["agent__slug", "user__username", "organization__name"]
