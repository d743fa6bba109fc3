"""Incidents in the admin: read-only (every change goes through a service, with its event), except the
structural-weakness taxonomy, which staff extend here (a weakness in use is retired, not deleted)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from incidents.models import Incident, IncidentEvent, Postmortem, StructuralWeakness
from trust_portal.admin import ReadOnlyAdmin


@admin.register(StructuralWeakness)
class StructuralWeaknessAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "active"]
    list_editable = ["position", "active"]
    prepopulated_fields = {"slug": ("name",)}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.postmortems.exists()  # PROTECT would refuse anyway; retire it instead

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["slug"] if obj is not None else []  # the slug is the API's name for it


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["id", "agent", "title", "severity", "status", "visible_at", "signal_at", "public"]
    list_filter = ["status", "severity", "public"]
    search_fields = ["agent__slug", "title"]


@admin.register(Postmortem)
class PostmortemAdmin(ReadOnlyAdmin):
    list_display = ["incident", "structural_weakness", "author", "updated_at"]


@admin.register(IncidentEvent)
class IncidentEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "incident", "at", "actor", "action", "from_status", "to_status"]
