"""Permission predicates about who a user is (django-rules)."""

from __future__ import annotations

from typing import Any

import rules

from accounts.models import Membership
from accounts.roles import Role, role_of


@rules.predicate
def is_vendor(user: Any) -> bool:
    return role_of(user) is Role.VENDOR


@rules.predicate
def is_buyer(user: Any) -> bool:
    return role_of(user) is Role.BUYER


@rules.predicate
def is_arbiter(user: Any) -> bool:
    return role_of(user) is Role.ARBITER


@rules.predicate
def is_org_owner(user: Any) -> bool:
    membership = getattr(user, "membership_or_none", None)
    return membership is not None and membership.role == Membership.Role.OWNER


is_staff = rules.is_staff
