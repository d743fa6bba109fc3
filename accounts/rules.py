"""Who a user is, as django-rules predicates, and the permissions of accounts (members, tokens).

Roles inside an organization (``Membership.Role``):
- owners manage the organization: its members and their roles, every API token of its users, its
  signing keys, access grants, and publishing or retiring pact versions;
- members do the work: author drafts, submit and import evidence, manage their own tokens.

Predicates about an object ask which organization owns it (``owning_organization_id``), so one pair,
``is_member_of_owner`` and ``is_owner_of_owner``, serves agents, pacts, versions, grants, keys and tokens.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from accounts.models import ApiToken, Invitation, Membership, Organization
from accounts.permissions import NOTHING, permission, view_permission
from accounts.roles import Role, role_of


def membership_of(user: Any) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.membership_or_none  # type: ignore[no-any-return]


def organization_id_of(user: Any) -> int | None:
    membership = membership_of(user)
    return membership.organization_id if membership else None


def owned_organization_id(user: Any) -> int | None:
    """The organization the user is an owner of (None for members, outsiders and platform roles)."""
    membership = membership_of(user)
    return membership.organization_id if membership and membership.role == Membership.Role.OWNER else None


def owning_organization_id(obj: Any) -> int | None:
    """The organization an object belongs to: itself, its agent's vendor, or its ``organization``."""
    if obj is None:
        return None
    if isinstance(obj, Organization):
        return obj.pk
    if isinstance(obj, ApiToken):
        return organization_id_of(obj.user)
    for parent in ("agent", "pact", "version"):  # before organization: a grant's organization is its grantee
        if hasattr(obj, f"{parent}_id"):
            return owning_organization_id(getattr(obj, parent))
    return getattr(obj, "organization_id", None)


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
    return owned_organization_id(user) is not None


@rules.predicate
def is_member_of_owner(user: Any, obj: Any) -> bool:
    """A member (or owner) of the organization the object belongs to."""
    org_id = organization_id_of(user)
    return org_id is not None and org_id == owning_organization_id(obj)


@rules.predicate
def is_owner_of_owner(user: Any, obj: Any) -> bool:
    """An owner of the organization the object belongs to."""
    org_id = owned_organization_id(user)
    return org_id is not None and org_id == owning_organization_id(obj)


@rules.predicate
def is_token_holder(user: Any, token: Any) -> bool:
    return token is not None and getattr(user, "is_authenticated", False) and token.user_id == user.pk


@rules.predicate
def is_own_membership(user: Any, membership: Any) -> bool:
    return membership is not None and getattr(user, "is_authenticated", False) and membership.user_id == user.pk


is_staff = rules.is_staff
is_signed_in = rules.is_authenticated


# --- accounts' own permissions ------------------------------------------------------------------------------


def _visible_tokens(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    if user.is_staff:
        return Q()  # staff revoke leaked tokens (admin); they never see a token's secret
    owned = owned_organization_id(user)
    mine = Q(user_id=user.pk)
    return mine | Q(user__membership__organization_id=owned) if owned is not None else mine


def _visible_memberships(user: Any) -> Q:
    org_id = organization_id_of(user)
    return Q(organization_id=org_id) if org_id is not None else NOTHING


view_permission(ApiToken, "accounts.view_token", is_token_holder | is_owner_of_owner | is_staff, _visible_tokens)
view_permission(Membership, "accounts.view_membership", is_member_of_owner, _visible_memberships)
permission(
    "accounts.manage_tokens",
    is_token_holder | is_owner_of_owner | is_staff,
    "Only the token's holder, an owner of their organization or staff may revoke this token.",
)
permission("accounts.create_token", is_signed_in, "Sign in to create API tokens.")
permission(
    "accounts.manage_members",
    is_owner_of_owner,
    "Only an owner of the organization may invite, remove or change the role of its members.",
)
permission(
    "accounts.remove_member",
    is_owner_of_owner | is_own_membership,
    "Only an owner of the organization may remove its members (anyone may leave).",
)
permission("accounts.view_members", is_member_of_owner, "Only members of the organization may see its members.")


def _owned_invitations(user: Any) -> Q:
    owned = owned_organization_id(user)
    return Q(organization_id=owned) if owned is not None else NOTHING


view_permission(Invitation, "accounts.view_invitation", is_owner_of_owner, _owned_invitations)
