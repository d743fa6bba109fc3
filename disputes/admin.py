"""Disputes in the admin: read-only (every change is an action of the workflow, with its event)."""

from django.contrib import admin

from disputes.models import ArbiterConflict, Dispute, DisputeEvent, Ruling, Submission
from trust_portal.admin import ReadOnlyAdmin


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["id", "agent", "claimant", "respondent", "status", "respondent_defaulted", "due_by", "arbiter"]
    list_filter = ["status", "respondent_defaulted", "subject_type", "claim_type"]
    search_fields = ["agent__slug", "claimant__name", "respondent__name", "statement"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["id", "dispute", "party", "stage", "round", "confidential", "leaf_index", "created_at"]


@admin.register(Ruling)
class RulingAdmin(ReadOnlyAdmin):
    list_display = ["id", "dispute", "stage", "outcome", "arbiter", "clause_id", "created_at", "applied_at"]
    list_filter = ["outcome", "stage"]


@admin.register(DisputeEvent)
class DisputeEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "dispute", "at", "actor", "action", "from_status", "to_status"]


@admin.register(ArbiterConflict)
class ArbiterConflictAdmin(ReadOnlyAdmin):
    list_display = ["arbiter", "organization", "created_at"]
