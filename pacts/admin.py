"""Admin for agents and pacts: everything is shown, nothing is edited; pacts are retired through ``pact_retire``."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from pacts.models import Agent, Follow, Pact, PactClause, PactEvent, PactVersion
from pacts.services import pact_retire
from trust_portal.admin import ReadOnlyAdmin, ReadOnlyInlineMixin, apply_per_object

IN_FORCE = [PactVersion.Status.PUBLISHED, PactVersion.Status.SUPERSEDED]


@admin.register(Agent)
class AgentAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "organization", "consequence_level", "version", "created_at"]
    list_filter = ["consequence_level", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "slug", "description", "organization__name"]


class PactVersionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = PactVersion
    fields = ["number", "status", "content_hash", "published_at", "effective_from", "retired_at"]
    show_change_link = True


@admin.register(Pact)
class PactAdmin(ReadOnlyAdmin):
    list_display = ["title", "agent", "agent__organization", "review_due_at", "last_reviewed_at", "created_at"]
    list_filter = ["agent__organization"]
    list_select_related = ["agent__organization"]
    search_fields = ["title", "agent__name", "agent__slug"]
    inlines = [PactVersionInline]
    actions = ["retire"]

    @admin.action(description="Retire selected pacts")
    def retire(self, request: HttpRequest, queryset: QuerySet[Pact]) -> None:
        def change(pact: Pact) -> bool:
            if not pact.versions.filter(status__in=IN_FORCE).exists():
                return False
            pact_retire(pact=pact, user=request.user, note="Retired by staff (admin).")  # type: ignore[arg-type]
            return True

        apply_per_object(
            self,
            request,
            queryset.select_related("agent"),
            change,
            done="retired",
            unchanged="had no version to retire",
        )


class PactClauseInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = PactClause
    fields = [
        "clause_id",
        "metric",
        "aggregation",
        "comparator",
        "threshold",
        "window_days",
        "min_samples",
        "severity",
    ]


@admin.register(PactVersion)
class PactVersionAdmin(ReadOnlyAdmin):
    """Versions are written through the services (editor and API); the admin shows them."""

    list_display = ["pact", "number", "status", "published_at", "effective_from", "content_hash"]
    list_filter = ["status"]
    list_select_related = ["pact__agent"]
    search_fields = ["pact__title", "pact__agent__slug", "content_hash"]
    inlines = [PactClauseInline]


@admin.register(PactClause)
class PactClauseAdmin(ReadOnlyAdmin):
    list_display = ["clause_id", "version", "metric", "aggregation", "comparator", "threshold", "severity"]
    list_filter = ["severity", "aggregation"]
    list_select_related = ["version__pact__agent"]
    search_fields = ["clause_id", "metric", "version__pact__title"]


@admin.register(PactEvent)
class PactEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "pact", "version__number", "action", "from_status", "to_status", "actor"]
    list_filter = ["action"]
    list_select_related = ["pact__agent", "version", "actor"]
    search_fields = ["pact__title", "note", "actor__username"]


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ["user", "agent", "created_at"]
    list_select_related = ["user", "agent"]
    search_fields = ["user__username", "agent__name", "agent__slug"]
