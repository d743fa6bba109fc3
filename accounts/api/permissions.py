"""Permission classes tied to how the caller authenticated."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accounts.models import ApiToken


class TokenScopeAllows(permissions.BasePermission):
    """A read-only token may only read."""

    message = "This token is read-only."
    code = "token_read_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in permissions.SAFE_METHODS
        return True
