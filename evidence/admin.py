"""Admin for evidence: records are shown, never changed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from evidence.models import AccessGrant, Attachment, EvidenceImport, EvidenceRecord, IdempotencyKey, TokenAgentScope


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EvidenceRecord)
class EvidenceRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "agent", "kind", "metric", "sample_count", "observed_to", "visibility", "received_at"]
    list_filter = ["kind", "visibility"]
    list_select_related = ["agent"]
    search_fields = ["metric", "agent__slug", "canonical_hash"]


@admin.register(EvidenceImport)
class EvidenceImportAdmin(ReadOnlyAdmin):
    list_display = ["id", "agent", "format", "tool", "tool_version", "record_count", "created_at"]
    list_select_related = ["agent"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["sha256", "content_type", "size", "filename", "created_at"]


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["agent", "organization", "created_at", "expires_at", "revoked_at"]
    list_select_related = ["agent", "organization"]


admin.site.register(TokenAgentScope)
admin.site.register(IdempotencyKey, ReadOnlyAdmin)
