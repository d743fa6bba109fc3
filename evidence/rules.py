"""Who may see and do what with evidence.

Public records are public. Restricted records exist only for the agent's vendor organization, staff,
and buyer organizations holding an active access grant for the agent; to everybody else they do not
exist (lists, counts and details alike). Members of the vendor submit and import evidence; owners
decide who else sees restricted evidence (grants) and which keys sign for the organization.

An agent-scoped (ingest) token acts for no organization (``accounts.rules``): it sees what anyone sees, plus its
own submissions — the records it submitted, restricted ones included, and the imports it made — and it submits
for its agents (``evidence.submit`` asks who the user is; ``require_submitter`` checks the token's agents).

Access requests (``evidence.access_requests``): members of a buyer organization ask; the buyer sees its own
organization's requests and the agent's vendor its incoming ones (members read, owners decide); staff read them all
(as they read every grant) and decide none; to everyone else a request does not exist. The vendor's members read
the agent's auto-approval rules and access log; owners set the rules.
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
    membership_of,
    organization_id_of,
    token_scope_of,
)
from evidence.models import (
    AccessGrant,
    AccessLogEntry,
    AccessRequest,
    AccessRule,
    EvidenceImport,
    EvidenceRecord,
    VendorKey,
    Visibility,
)


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


# --- access requests ------------------------------------------------------------------------------------------


@rules.predicate
def is_buyer_member(user: Any) -> bool:
    """Acts for a buyer organization (owner or member; never under an agent-scoped token)."""
    membership = membership_of(user)
    return membership is not None and membership.organization.is_buyer


@rules.predicate
def is_requester(user: Any, access_request: Any) -> bool:
    """A member of the buyer organization that asked."""
    org_id = organization_id_of(user)
    return org_id is not None and access_request is not None and access_request.organization_id == org_id


def _requests_scope(user: Any) -> Q:
    """A buyer's own organization's requests, a vendor's incoming ones, all of them for staff (read-only, as they
    see every grant); nothing for anyone else."""
    if acts_as_staff(user):
        return Q()
    org_id = organization_id_of(user)
    if org_id is None:
        return NOTHING
    return Q(organization_id=org_id) | Q(agent__organization_id=org_id)


view_permission(
    AccessRequest, "evidence.view_access_request", is_member_of_owner | is_requester | is_staff, _requests_scope
)
view_permission(AccessRule, "evidence.view_access_rule", is_member_of_owner, _vendor_scope("agent__organization_id"))
view_permission(
    AccessLogEntry, "evidence.view_access_log_entry", is_member_of_owner, _vendor_scope("agent__organization_id")
)

permission(
    "evidence.use_access_requests",
    is_buyer_member | (is_vendor & rules.is_authenticated) | is_staff,
    "Access requests are between buyer and vendor organizations.",
)
permission(
    "evidence.request_access",
    is_buyer_member,
    "Only members of a buyer organization may request access to restricted evidence.",
)
permission(
    "evidence.decide_access_request",
    is_owner_of_owner,
    "Only an owner of the agent's vendor organization may approve, deny, revoke or reactivate access requests.",
)
permission(
    "evidence.accept_nda",
    is_requester,
    "Only a member of the buyer organization that asked may accept the NDA.",
)
permission(
    "evidence.view_access_rules",
    is_member_of_owner,
    "Only members of the agent's vendor organization may see its auto-approval rules.",
)
permission(
    "evidence.manage_access_rules",
    is_owner_of_owner,
    "Only an owner of the agent's vendor organization may set its auto-approval rules.",
)
permission(
    "evidence.view_access_log",
    is_member_of_owner,
    "Only members of the agent's vendor organization may see who viewed its restricted evidence.",
)
