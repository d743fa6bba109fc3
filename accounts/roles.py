"""The role a user acts in, derived from flags and membership (never stored twice)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


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
