"""Reads of evidence, scoped before anything is fetched.

Restricted records exist only for the agent's vendor, staff, and buyer
organizations with an active grant. Everyone else gets a queryset without
them, so lists, counts and details cannot reveal them.

``evidence_get`` is the one door to a single record (its page, the API, its proof, its attachment), so it is
where a restricted record seen by someone outside its vendor goes into the access log (one row per request).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from accounts.permissions import may
from evidence.models import AccessGrant, EvidenceImport, EvidenceRecord, VendorKey, Visibility
from pacts.models import Agent
from trust_portal.errors import Conflict, NotFound


def can_see_restricted(*, user: Any, agent: Agent) -> bool:
    return may(user, "evidence.view_restricted", agent)


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
    if can_see_restricted(user=user, agent=agent):  # one check for the agent, not a join per row
        records = EvidenceRecord.objects.filter(agent=agent)
    else:
        records = EvidenceRecord.objects.filter(agent=agent, visibility=Visibility.PUBLIC)
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
        EvidenceRecord.objects.restrict(user, "view")
        .select_related("agent__organization", "attachment", "evidence_import", "corrects")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        raise NotFound("No such evidence record.")
    if record.visibility == Visibility.RESTRICTED:
        from evidence.access_requests import access_log_write

        access_log_write(user=user, agent=record.agent, record_ids=[record.pk], known_restricted=True)
    return record


def evidence_facets(*, user: Any, agent: Agent) -> dict[str, list[str]]:
    """The metrics and sources present, for filter menus."""
    records = evidence_list(user=user, agent=agent)
    return {
        "metrics": sorted(set(records.values_list("metric", flat=True).distinct())),
        "sources": sorted(s for s in set(records.values_list("source_tool", flat=True).distinct()) if s),
    }


def access_grant_list(*, user: Any, agent: Agent) -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.restrict(user, "view")
        .filter(agent=agent)
        .select_related("organization", "granted_by")
        .order_by("-created_at")
    )


def import_list(*, user: Any, agent: Agent) -> QuerySet[EvidenceImport]:
    return EvidenceImport.objects.restrict(user, "view").filter(agent=agent).order_by("-created_at")


def signing_key_list(*, user: Any) -> QuerySet[VendorKey]:
    """The signing keys of the user's own organization."""
    return VendorKey.objects.restrict(user, "view").order_by("-created_at")


def signing_key_get(*, user: Any, key_id: str) -> VendorKey:
    """One of the keys the user may see, by key id (unique per organization, so staff may see several)."""
    keys = list(VendorKey.objects.restrict(user, "view").filter(key_id=key_id).select_related("organization")[:2])
    if not keys:
        raise NotFound("No such key.")
    if len(keys) > 1:
        raise Conflict(
            f"Several organizations registered key {key_id}: revoke the one you mean in the admin (Vendor keys)."
        )
    return keys[0]


def access_grant_get(*, user: Any, grant_id: int) -> AccessGrant:
    grant = (
        AccessGrant.objects.restrict(user, "view").select_related("agent", "organization").filter(pk=grant_id).first()
    )
    if grant is None:
        raise NotFound("No such grant.")
    return grant
