"""Conflicts of interest: an arbiter declares the organizations whose disputes they must never take.

A declared conflict hides that organization's disputes from the arbiter's queue and refuses their assignment
(``disputes.rules``). Declaring one while assigned to an open dispute of that organization recuses the arbiter
from it: the dispute goes back to the queue (one ``recuse`` event each), so a conflict can never be declared and
then ruled through. Removing a conflict changes no dispute.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import require
from disputes import notify
from disputes.errors import DisputeInvalid
from disputes.models import AWAITING_ARBITER, ArbiterConflict, Dispute, Status
from disputes.workflow import move, text
from trust_portal.errors import Conflict, NotFound


class ConflictAlreadyDeclared(Conflict):
    code = "conflict_already_declared"


def conflict_list(*, user: Any) -> QuerySet[ArbiterConflict]:
    """The conflicts the user may see: an arbiter's own, every one for staff, none for anyone else."""
    return ArbiterConflict.objects.restrict(user, "view").select_related("arbiter", "organization")


def conflict_get(*, user: Any, conflict_id: int) -> ArbiterConflict:
    found = conflict_list(user=user).filter(pk=conflict_id).first()
    if found is None:
        raise NotFound("No such conflict of interest.")
    return found


def _recuse(user: User, organization: Organization, now: datetime) -> int:
    """Release the arbiter from the open disputes of ``organization`` they are assigned to (before a ruling)."""
    assigned = Dispute.objects.filter(
        Q(claimant=organization) | Q(respondent=organization),
        arbiter=user,
        status__in=[*AWAITING_ARBITER, Status.AWAITING_RESPONSE],
    ).select_related("agent", "claimant", "respondent")
    released = 0
    for dispute in assigned:
        dispute = move(
            dispute,
            actor=user,
            action="recuse",
            sources=[dispute.status],
            now=now,
            arbiter=None,
            note=f"{user.username} declared a conflict of interest with {organization.name}",
        )
        notify.dispute_updated(dispute, "the arbiter recused (a conflict of interest): back in the queue")
        released += 1
    return released


def conflict_declare(*, user: User, organization: Any, note: Any = "", now: datetime | None = None) -> ArbiterConflict:
    """Declare a conflict with an organization (by slug); a second declaration of the same one is a 409."""
    now = now or timezone.now()
    require(user, "disputes.declare_conflict")
    if not isinstance(organization, str) or not organization:
        raise DisputeInvalid("organization", "Expected an organization's slug.", "required")
    found = Organization.objects.filter(slug=organization).first()
    if found is None:
        raise DisputeInvalid("organization", f"No organization {organization!r}.", "not_found")
    note = text(note, "note", required=False, maximum=300)
    existing = ArbiterConflict.objects.filter(arbiter=user, organization=found).first()
    if existing is not None:
        raise ConflictAlreadyDeclared(
            f"You declared a conflict with {found.name} already (#{existing.pk}).",
            errors=[
                {
                    "field": "organization",
                    "message": "already declared",
                    "code": "duplicate",
                    "conflict": str(existing.pk),
                }
            ],
        )
    try:
        with transaction.atomic():
            conflict = ArbiterConflict.objects.create(arbiter=user, organization=found, note=note, created_at=now)
            _recuse(user, found, now)
    except IntegrityError as error:  # the same declaration at the same moment
        raise ConflictAlreadyDeclared(f"You declared a conflict with {found.name} already.") from error
    return conflict


def conflict_remove(*, user: User, conflict: ArbiterConflict) -> None:
    """The arbiter who declared it withdraws it (404 to those who may not see it, 403 to staff)."""
    require(user, "disputes.remove_conflict", conflict)
    with transaction.atomic():
        ArbiterConflict.objects.filter(pk=conflict.pk).delete()
