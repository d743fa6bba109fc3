"""Permission classes tied to how the caller authenticated."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accounts.models import ApiToken
from accounts.rules import token_scope_of


class TokenScopeAllows(permissions.BasePermission):
    """A read-only token may only read; a token scoped to agents may only read and submit evidence.

    (What an agent-scoped token may *read* is decided by the rules, like everything else a user may see: it acts
    for no organization, see ``accounts.rules``.)

    Views that accept writes from agent-scoped tokens (evidence submission and import) set
    ``scoped_tokens_may_write = True`` and check the scope against the agent themselves; everywhere else an
    agent-scoped token cannot create tokens, grants, pacts or anything else (403).
    """

    message = "This token may not do that."
    code = "token_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken) or request.method in permissions.SAFE_METHODS:
            return True
        if token.read_only:
            self.message = "This token is read-only."
            return False
        if not getattr(view, "scoped_tokens_may_write", False) and token_scope_of(request.user) is not None:
            self.message = "This token is limited to submitting evidence for its agents."
            return False
        return True
