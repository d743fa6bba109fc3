"""Puts the user's role and navigation into every template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.navigation import navigation_for
from accounts.roles import Role, role_of
from accounts.selectors import unread_notification_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = role_of(user)
    badges = {}
    if role is not Role.ANONYMOUS:
        badges["accounts:notifications"] = unread_notification_count(user=user)  # type: ignore[arg-type]
    return {"role": role.value, "nav_items": navigation_for(role, request.path, badges)}
