"""Reads of evidence, scoped before anything is fetched.

Restricted records exist only for the agent's vendor, staff, and buyer
organizations with an active grant. Everyone else gets a queryset without
them, so lists, counts and details cannot reveal them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from evidence.models import AccessGrant, EvidenceImport, EvidenceRecord, Visibility
from pacts.models import Agent
from pacts.rules import member_of
from trust_portal.errors import NotFound


def can_see_restricted(*, user: Any, agent: Agent) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or member_of(user, agent.organization_id):
        return True
    membership = user.membership_or_none
    if membership is None or not membership.organization.is_buyer:
        return False
    now = timezone.now()
    return AccessGrant.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        agent=agent,
        organization_id=membership.organization_id,
        revoked_at__isnull=True,
    ).exists()


def evidence_list(
    *,
    user: Any,
    agent: Agent,
    kind: str = "",
    metric: str = "",
    source: str = "",
    observed_after: datetime | None = None,
    observed_before: datetime | None = None,
) -> QuerySet[EvidenceRecord]:
    records = EvidenceRecord.objects.filter(agent=agent)
    if not can_see_restricted(user=user, agent=agent):
        records = records.filter(visibility=Visibility.PUBLIC)
    if kind:
        records = records.filter(kind=kind)
    if metric:
        records = records.filter(metric=metric)
    if source:
        records = records.filter(source_tool=source)
    if observed_after:
        records = records.filter(observed_to__gte=observed_after)
    if observed_before:
        records = records.filter(observed_from__lte=observed_before)
    return records.select_related("attachment").order_by("-observed_to", "-id")


def evidence_get(*, user: Any, record_id: int) -> EvidenceRecord:
    record = (
        EvidenceRecord.objects.select_related("agent__organization", "attachment", "evidence_import", "corrects")
        .filter(pk=record_id)
        .first()
    )
    if record is None or (
        record.visibility == Visibility.RESTRICTED and not can_see_restricted(user=user, agent=record.agent)
    ):
        raise NotFound("No such evidence record.")
    return record


def evidence_facets(*, user: Any, agent: Agent) -> dict[str, list[str]]:
    """The metrics and sources present, for filter menus."""
    records = evidence_list(user=user, agent=agent)
    return {
        "metrics": sorted(set(records.values_list("metric", flat=True).distinct())),
        "sources": sorted(s for s in set(records.values_list("source_tool", flat=True).distinct()) if s),
    }


def access_grant_list(*, user: Any, agent: Agent) -> QuerySet[AccessGrant]:
    if not member_of(user, agent.organization_id):
        return AccessGrant.objects.none()
    return AccessGrant.objects.filter(agent=agent).select_related("organization", "granted_by").order_by("-created_at")


def import_list(*, user: Any, agent: Agent) -> QuerySet[EvidenceImport]:
    if not member_of(user, agent.organization_id):
        return EvidenceImport.objects.none()
    return EvidenceImport.objects.filter(agent=agent).order_by("-created_at")


def signing_key_list(*, user: Any) -> QuerySet[Any]:
    """The signing keys of the user's own organization."""
    from evidence.models import VendorKey

    organization = user.organization if getattr(user, "is_authenticated", False) else None
    if organization is None:
        return VendorKey.objects.none()
    return VendorKey.objects.filter(organization=organization).order_by("-created_at")


def access_grant_get(*, grant_id: int) -> AccessGrant:
    """A grant by id (services check that the caller is its agent's vendor before changing it)."""
    grant = AccessGrant.objects.select_related("agent", "organization").filter(pk=grant_id).first()
    if grant is None:
        raise NotFound("No such grant.")
    return grant
