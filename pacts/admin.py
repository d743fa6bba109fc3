"""Admin for agents and pacts. Published versions are read-only here, as everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pacts.models import Agent, Follow, Pact, PactClause, PactEvent, PactVersion


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "organization", "consequence_level", "created_at"]
    list_filter = ["consequence_level", "organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "slug", "description"]


class PactVersionInline(admin.TabularInline):
    model = PactVersion
    readonly_fields = fields = ("number", "status", "content_hash", "published_at", "effective_from")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Pact)
class PactAdmin(admin.ModelAdmin):
    list_display = ["title", "agent", "review_due_at", "created_at"]
    list_select_related = ["agent"]
    search_fields = ["title", "agent__name"]
    readonly_fields = ["review_due_at", "last_reviewed_at", "created_by"]
    inlines = [PactVersionInline]


class PactClauseInline(admin.TabularInline):
    model = PactClause
    readonly_fields = fields = (
        "clause_id",
        "metric",
        "aggregation",
        "comparator",
        "threshold",
        "window_days",
        "min_samples",
        "severity",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PactVersion)
class PactVersionAdmin(admin.ModelAdmin):
    """Versions are written through the services (editor and API); the admin shows them."""

    list_display = ["pact", "number", "status", "published_at", "effective_from", "content_hash"]
    list_filter = ["status"]
    list_select_related = ["pact__agent"]
    inlines = [PactClauseInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in PactVersion._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.is_draft


@admin.register(PactEvent)
class PactEventAdmin(admin.ModelAdmin):
    list_display = ["at", "pact", "version", "action", "actor"]
    list_filter = ["action"]
    list_select_related = ["pact", "version", "actor"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


admin.site.register(Follow)
