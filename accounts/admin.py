"""Admin for accounts: operators edit users and organizations; memberships and tokens are shown, and tokens
are revoked through ``api_token_revoke`` (roles are managed by organization owners in the app)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiToken, Membership, Organization, User
from accounts.services import api_token_revoke
from trust_portal.admin import ReadOnlyAdmin, ReadOnlyInlineMixin, apply_per_object


class MembershipInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = Membership
    fields = ["organization", "role", "created_at"]
    max_num = 1


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "organization_name", "is_arbiter", "is_staff", "is_active"]
    list_filter = ["is_arbiter", "is_staff", "is_active", "membership__organization__kind"]
    list_select_related = ["membership__organization"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("Platform role", {"fields": ["is_arbiter"]})]  # type: ignore[misc]
    inlines = [MembershipInline]

    @admin.display(description="Organization")
    def organization_name(self, obj: User) -> str:
        org = obj.organization
        return org.name if org else "—"


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "slug", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request: HttpRequest, obj: Organization | None = None) -> list[str]:  # type: ignore[override]
        # A vendor turned buyer (or the reverse) would strand its agents, pacts and grants: the side is fixed.
        return ["kind"] if obj is not None else []

    def get_prepopulated_fields(self, request: HttpRequest, obj: Organization | None = None) -> dict[str, list[str]]:  # type: ignore[override]
        return {} if obj is not None else {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization__kind"]
    list_select_related = ["user", "organization"]
    search_fields = ["user__username", "organization__name"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are created by their users (shown once); the admin inspects and revokes them."""

    list_display = ["name", "user", "prefix", "read_only", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        def change(token: ApiToken) -> bool:
            if token.revoked_at is not None:
                return False
            api_token_revoke(token=token, user=request.user)  # type: ignore[arg-type]
            return True

        apply_per_object(
            self, request, queryset.select_related("user"), change, done="revoked", unchanged="already revoked"
        )
