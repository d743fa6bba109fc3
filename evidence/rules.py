"""Who may see and do what with evidence.

Public records are public. Restricted records exist only for the agent's vendor organization, staff,
and buyer organizations holding an active access grant for the agent; to everybody else they do not
exist (lists, counts and details alike). Members of the vendor submit and import evidence; owners
decide who else sees restricted evidence (grants) and which keys sign for the organization.

An agent-scoped (ingest) token acts for no organization (``accounts.rules``): it sees what anyone sees, plus its
own submissions — the records it submitted, restricted ones included, and the imports it made — and it submits
for its agents (``evidence.submit`` asks who the user is; ``require_submitter`` checks the token's agents).
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.permissions import NOTHING, permission, view_permission
from accounts.rules import (
    acts_as_staff,
    is_member_of_home_owner,
    is_member_of_owner,
    is_owner_of_owner,
    is_staff,
    is_vendor,
    organization_id_of,
    token_scope_of,
)
from evidence.models import AccessGrant, EvidenceImport, EvidenceRecord, VendorKey, Visibility


def active_grants() -> Q:
    now = timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


@rules.predicate
def holds_active_grant(user: Any, agent: Any) -> bool:
    org_id = organization_id_of(user)
    if org_id is None or agent is None:
        return False
    return AccessGrant.objects.filter(active_grants(), agent=agent, organization_id=org_id).exists()


may_see_restricted = is_staff | is_member_of_owner | holds_active_grant


@rules.predicate
def is_own_submission(user: Any, record: Any) -> bool:
    """The record was submitted with the agent-scoped token this request carries."""
    scope = token_scope_of(user)
    return scope is not None and record is not None and record.submitted_token_id == scope.token_id


@rules.predicate
def record_visible(user: Any, record: Any) -> bool:
    return record.visibility == Visibility.PUBLIC or may_see_restricted(user, record.agent)


def _records_scope(user: Any) -> Q:
    public = Q(visibility=Visibility.PUBLIC)
    if not getattr(user, "is_authenticated", False):
        return public
    scope = token_scope_of(user)
    if scope is not None:
        return public | Q(submitted_token_id=scope.token_id)
    if acts_as_staff(user):
        return Q()
    org_id = organization_id_of(user)
    if org_id is None:
        return public
    granted = AccessGrant.objects.filter(active_grants(), agent=OuterRef("agent_id"), organization_id=org_id)
    return public | Q(agent__organization_id=org_id) | Q(Exists(granted))


def _vendor_scope(path: str, *, staff: bool = False) -> Any:
    def build(user: Any) -> Q:
        if staff and acts_as_staff(user):
            return Q()
        org_id = organization_id_of(user)
        return Q(**{path: org_id}) if org_id is not None else NOTHING

    return build


def _grant_scope(user: Any) -> Q:
    """The agent's vendor sees its grants; the grantee sees the grants it holds; staff see all."""
    if acts_as_staff(user):
        return Q()
    org_id = organization_id_of(user)
    return Q(agent__organization_id=org_id) | Q(organization_id=org_id) if org_id is not None else NOTHING


@rules.predicate
def is_grantee(user: Any, grant: Any) -> bool:
    return grant is not None and organization_id_of(user) == grant.organization_id


@rules.predicate
def is_own_import(user: Any, evidence_import: Any) -> bool:
    """The import was made with the agent-scoped token this request carries (its records say so)."""
    scope = token_scope_of(user)
    return (
        scope is not None
        and evidence_import is not None
        and EvidenceRecord.objects.filter(evidence_import=evidence_import, submitted_token_id=scope.token_id).exists()
    )


def _imports_scope(user: Any) -> Q:
    scope = token_scope_of(user)
    if scope is None:
        return _vendor_scope("agent__organization_id")(user)
    made = EvidenceRecord.objects.filter(evidence_import=OuterRef("pk"), submitted_token_id=scope.token_id)
    return Q(agent_id__in=scope.agent_ids) & Q(Exists(made))


view_permission(EvidenceRecord, "evidence.view_record", record_visible | is_own_submission, _records_scope)
view_permission(EvidenceImport, "evidence.view_import", is_member_of_owner | is_own_import, _imports_scope)
view_permission(AccessGrant, "evidence.view_grant", is_member_of_owner | is_grantee | is_staff, _grant_scope)
view_permission(
    VendorKey, "evidence.view_signing_key", is_member_of_owner | is_staff, _vendor_scope("organization_id", staff=True)
)

permission(
    "evidence.view_restricted",
    may_see_restricted,
    "Restricted evidence is for the agent's vendor and for buyers it granted access to.",
)
permission(
    "evidence.submit",
    is_member_of_home_owner,
    "Only members of the agent's vendor organization may submit its evidence.",
)
permission(
    "evidence.create_ingest_token",
    is_member_of_owner,
    "Only members of the agent's vendor organization may create ingest tokens for it.",
)
permission(
    "evidence.manage_grants",
    is_owner_of_owner,
    "Only an owner of the agent's vendor organization may grant access to its restricted evidence.",
)
permission(
    "evidence.revoke_grant",
    is_owner_of_owner | is_staff,
    "Only an owner of the agent's vendor organization (or staff) may revoke access to its restricted evidence.",
)
permission(
    "evidence.manage_signing_keys",
    is_vendor & is_owner_of_owner,
    "Only an owner of the vendor organization may register its signing keys.",
)
permission(
    "evidence.revoke_signing_key",
    is_owner_of_owner | is_staff,
    "Only an owner of the vendor organization (or staff) may revoke its signing keys.",
)
permission("evidence.use_workbench", is_vendor, "Only vendors submit evidence.")
