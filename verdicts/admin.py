"""Admin for verdicts: the compliance history is computed from evidence, so it is only shown."""

from __future__ import annotations

from django.contrib import admin

from trust_portal.admin import ReadOnlyAdmin
from verdicts.models import Verdict


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    list_display = [
        "computed_at",
        "agent",
        "pact",
        "pact_version__number",
        "clause_id",
        "status",
        "disputed",
        "measured",
        "threshold",
        "samples",
        "is_current",
    ]
    list_filter = ["status", "disputed", "is_current"]
    list_select_related = ["agent", "pact__agent", "pact_version"]
    search_fields = ["agent__slug", "pact__title", "clause_id"]
    show_full_result_count = False
