"""Who a user is, as django-rules predicates, and the permissions of accounts (members, tokens).

Roles inside an organization (``Membership.Role``):
- owners manage the organization: its members and their roles, every API token of its users, its
  signing keys, access grants, and publishing or retiring pact versions;
- members do the work: author drafts, submit and import evidence, manage their own tokens.

Predicates about an object ask which organization owns it (``owning_organization_id``), so one pair,
``is_member_of_owner`` and ``is_owner_of_owner``, serves agents, pacts, versions, grants, keys and tokens.

A request made with an agent-scoped token (an ingest token: ``TokenAgentScope`` rows) carries a ``TokenScope``
on its user (``accounts.api.authentication``). Such a caller acts for no organization and with no staff powers:
every membership-based predicate and scope answers as for an outsider, so it reads what anyone may read (agents,
the pact versions in force, public evidence, the log) and nothing the organization keeps to itself (drafts,
restricted evidence, grants, tokens, signing keys, members, invitations, notifications). The rules of evidence
add back exactly what the token needs: submitting for its agents, and reading its own submissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rules
from django.db.models import Q

from accounts.models import ApiToken, Invitation, Membership, Notification, Organization
from accounts.permissions import NOTHING, permission, view_permission
from accounts.roles import Role, role_of


@dataclass(frozen=True)
class TokenScope:
    """The credential of this request is limited to these agents (an ingest token for CI)."""

    token_id: int
    agent_ids: frozenset[int]


def token_scope_of(user: Any) -> TokenScope | None:
    """The scope of the agent-scoped token the user authenticated with; None for sessions and full tokens."""
    return getattr(user, "token_scope", None)


def home_membership(user: Any) -> Membership | None:
    """The user's membership whatever credential they use (who they are, not what this request may do)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.membership_or_none  # type: ignore[no-any-return]


def membership_of(user: Any) -> Membership | None:
    """The membership the request acts with: none under an agent-scoped token."""
    return None if token_scope_of(user) is not None else home_membership(user)


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
    if token_scope_of(user) is not None:
        return False  # an ingest token reads no tokens, itself included
    return token is not None and getattr(user, "is_authenticated", False) and token.user_id == user.pk


@rules.predicate
def is_member_of_home_owner(user: Any, obj: Any) -> bool:
    """A member of the organization the object belongs to, whatever credential the request carries.

    Only for actions an agent-scoped token exists to do (submitting evidence), where the credential's own
    limit is checked next to it (``evidence.services.require_submitter``).
    """
    membership = home_membership(user)
    return membership is not None and membership.organization_id == owning_organization_id(obj)


def acts_as_staff(user: Any) -> bool:
    """Staff powers, which an agent-scoped token never carries."""
    return bool(getattr(user, "is_staff", False)) and token_scope_of(user) is None


@rules.predicate
def is_own_membership(user: Any, membership: Any) -> bool:
    return membership is not None and getattr(user, "is_authenticated", False) and membership.user_id == user.pk


is_staff = rules.predicate(acts_as_staff, name="is_staff")
is_signed_in = rules.is_authenticated


# --- accounts' own permissions ------------------------------------------------------------------------------


def _visible_tokens(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False) or token_scope_of(user) is not None:
        return NOTHING
    if acts_as_staff(user):
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


@rules.predicate
def is_recipient(user: Any, notification: Any) -> bool:
    if token_scope_of(user) is not None:
        return False  # an ingest token does not read its user's inbox
    return (
        notification is not None and getattr(user, "is_authenticated", False) and notification.recipient_id == user.pk
    )


def _own_notifications(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False) or token_scope_of(user) is not None:
        return NOTHING
    return Q(recipient_id=user.pk)


view_permission(Notification, "accounts.view_notification", is_recipient, _own_notifications)
