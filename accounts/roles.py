"""The role a user acts in, derived from flags and membership (never stored twice)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    VENDOR = "vendor"
    BUYER = "buyer"
    ARBITER = "arbiter"
    STAFF = "staff"
    UNASSIGNED = "unassigned"  # signed in, but in no organization and no platform role


def role_of(user: Any) -> Role:
    if user is None or not user.is_authenticated:
        return Role.ANONYMOUS
    if user.is_arbiter:
        return Role.ARBITER
    organization = user.organization
    if organization is not None:
        return Role.VENDOR if organization.is_vendor else Role.BUYER
    if user.is_staff:
        return Role.STAFF
    return Role.UNASSIGNED


def signed_in_user(request: Any) -> User:
    """The request's user, for views already guarded by a sign-in check."""
    user = request.user
    if not user.is_authenticated:  # a guard is missing: fail loudly rather than act as nobody
        raise PermissionError("signed_in_user() called on an anonymous request")
    return user  # type: ignore[no-any-return]
