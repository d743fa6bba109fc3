"""What every app's admin shares: read-only model admins and actions that change objects through a service.

Staff inspect append-only and lifecycle-governed rows here but never edit them; a change is an admin action
that calls the app's service as the signed-in user, so the admin obeys the same rules as the pages and API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest

from trust_portal.errors import DomainError


def _all_field_names(model: type[models.Model]) -> list[str]:
    opts = model._meta
    return [f.name for f in [*opts.concrete_fields, *opts.many_to_many]]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows every field and allows no add, change or delete (changes are actions calling services)."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        declared = list(super().get_readonly_fields(request, obj))
        return declared + [name for name in _all_field_names(self.model) if name not in declared]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInlineMixin:
    """For inlines (put it before TabularInline/StackedInline): rows are shown, never added, changed or deleted."""

    extra = 0
    can_delete = False

    model: type[models.Model]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        declared = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return declared + [name for name in _all_field_names(self.model) if name not in declared]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def refusal_message(error: DomainError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return error.detail


def apply_per_object(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    change: Callable[[Any], bool],
    *,
    done: str,
    unchanged: str,
) -> None:
    """Run ``change(obj)`` for each object, each in its own transaction, and tell the user what happened.

    ``change`` calls the service and returns False when there was nothing to do (e.g. already revoked).
    A refusal (a domain error or a validation error) is reported for its object and does not stop the others.
    ``done`` and ``unchanged`` complete "<n> <objects> …", e.g. done="revoked", unchanged="already revoked".
    """
    changed = skipped = 0
    for obj in objects:
        try:
            with transaction.atomic():
                if change(obj):
                    changed += 1
                else:
                    skipped += 1
        except (DomainError, ValidationError) as error:
            model_admin.message_user(request, f"{obj}: {refusal_message(error)}", messages.ERROR)
    opts = model_admin.model._meta
    if changed:
        name = opts.verbose_name if changed == 1 else opts.verbose_name_plural
        model_admin.message_user(request, f"{changed} {name} {done}.", messages.SUCCESS)
    if skipped:
        name = opts.verbose_name if skipped == 1 else opts.verbose_name_plural
        model_admin.message_user(request, f"{skipped} {name} {unchanged}.", messages.WARNING)
