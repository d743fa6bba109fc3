"""Who may see and do what with disputes.

A dispute concerns two organizations, the claimant and the respondent: every member of either reads it and
acts for their side. Arbiters (platform users in no party organization) read every dispute except those of an
organization they declared a conflict with, which they are never offered either; the assigned arbiter runs
the review. Staff read everything and assign arbiters. Nobody else learns a dispute exists (404). An
agent-scoped token acts for no organization, so it sees none.

Rulings of closed disputes are public in a redacted form (``disputes.selectors.ruling_public``): precedent.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Exists, OuterRef, Q

from accounts.permissions import EVERYTHING, NOTHING, permission, scope, view_permission
from accounts.rules import acts_as_staff, is_arbiter, is_buyer, is_staff, is_vendor, organization_id_of, token_scope_of
from disputes.models import ArbiterConflict, Dispute, Ruling, Status, Submission


def _arbiter(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_arbiter and token_scope_of(user) is None)


def conflicted(user: Any, dispute: Dispute) -> bool:
    return ArbiterConflict.objects.filter(
        arbiter_id=user.pk, organization_id__in=[dispute.claimant_id, dispute.respondent_id]
    ).exists()


def _visible(user: Any, prefix: str = "") -> Q:
    if acts_as_staff(user):
        return EVERYTHING
    if _arbiter(user):
        conflicts = ArbiterConflict.objects.filter(arbiter_id=user.pk).values("organization_id")
        return ~Q(**{f"{prefix}claimant_id__in": conflicts}) & ~Q(**{f"{prefix}respondent_id__in": conflicts}) | Q(
            **{f"{prefix}arbiter_id": user.pk}
        )
    org_id = organization_id_of(user)
    if org_id is None:
        return NOTHING
    return Q(**{f"{prefix}claimant_id": org_id}) | Q(**{f"{prefix}respondent_id": org_id})


@rules.predicate
def is_party(user: Any, dispute: Any) -> bool:
    org_id = organization_id_of(user)
    return dispute is not None and org_id is not None and org_id in (dispute.claimant_id, dispute.respondent_id)


@rules.predicate
def is_claimant(user: Any, dispute: Any) -> bool:
    org_id = organization_id_of(user)
    return dispute is not None and org_id is not None and org_id == dispute.claimant_id


@rules.predicate
def is_respondent(user: Any, dispute: Any) -> bool:
    org_id = organization_id_of(user)
    return dispute is not None and org_id is not None and org_id == dispute.respondent_id


@rules.predicate
def is_asked_party(user: Any, dispute: Any) -> bool:
    org_id = organization_id_of(user)
    if dispute is None or org_id is None or not dispute.info_party:
        return False
    asked = dispute.claimant_id if dispute.info_party == "claimant" else dispute.respondent_id
    return org_id == asked


@rules.predicate
def is_unconflicted_arbiter(user: Any, dispute: Any) -> bool:
    return _arbiter(user) and (dispute is None or not conflicted(user, dispute))


@rules.predicate
def is_assigned_arbiter(user: Any, dispute: Any) -> bool:
    return dispute is not None and _arbiter(user) and dispute.arbiter_id == user.pk


@rules.predicate
def may_see_dispute(user: Any, dispute: Any) -> bool:
    if dispute is None:
        return False
    if acts_as_staff(user) or is_party(user, dispute) or is_assigned_arbiter(user, dispute):
        return True
    return _arbiter(user) and not conflicted(user, dispute)


view_permission(Dispute, "disputes.view_dispute", may_see_dispute, _visible)


@rules.predicate
def may_see_submission(user: Any, submission: Any) -> bool:
    return submission is not None and may_see_dispute(user, submission.dispute)


view_permission(Submission, "disputes.view_submission", may_see_submission, lambda user: _visible(user, "dispute__"))


@rules.predicate
def may_see_ruling(user: Any, ruling: Any) -> bool:
    return ruling is not None and (ruling.dispute.status == Status.CLOSED or may_see_dispute(user, ruling.dispute))


view_permission(
    Ruling,
    "disputes.view_ruling",
    may_see_ruling,
    # Q() | Q(x) is Q(x) in Django: "everything" (staff) must not be OR-ed away.
    lambda user: EVERYTHING if acts_as_staff(user) else Q(dispute__status=Status.CLOSED) | _visible(user, "dispute__"),
)


@rules.predicate
def is_own_conflict(user: Any, conflict: Any) -> bool:
    return conflict is not None and _arbiter(user) and conflict.arbiter_id == user.pk


view_permission(
    ArbiterConflict,
    "disputes.view_conflict",
    is_own_conflict | is_staff,
    lambda user: EVERYTHING if acts_as_staff(user) else (Q(arbiter_id=user.pk) if _arbiter(user) else NOTHING),
)
# The queue an arbiter is offered: open disputes waiting for an arbiter, none of a conflicted party.
scope(
    Dispute,
    "queue",
    lambda user: (
        EVERYTHING
        if acts_as_staff(user)
        else (
            Q(
                ~Exists(
                    ArbiterConflict.objects.filter(
                        Q(organization_id=OuterRef("claimant_id")) | Q(organization_id=OuterRef("respondent_id")),
                        arbiter_id=user.pk,
                    )
                )
            )
            if _arbiter(user)
            else NOTHING
        )
    ),
)

permission(
    "disputes.file",
    is_vendor | is_buyer,
    "Only a member of the agent's vendor or of an engaged buyer organization may file a dispute.",
)
permission("disputes.respond", is_respondent, "Only the respondent's organization may respond.")
permission(
    "disputes.assign",
    is_unconflicted_arbiter | is_staff,
    "Only an arbiter with no conflict with either party may claim a dispute (staff may assign one).",
)
permission("disputes.request_info", is_assigned_arbiter, "Only the dispute's arbiter may ask the parties questions.")
permission("disputes.submit_info", is_asked_party, "Only the party the arbiter asked may answer.")
permission("disputes.rule", is_assigned_arbiter, "Only the dispute's assigned arbiter may rule.")
permission("disputes.appeal", is_party, "Only the claimant or the respondent may appeal a ruling.")
permission("disputes.withdraw", is_claimant, "Only the claimant may withdraw a dispute.")
permission("disputes.settle", is_party, "Only the claimant or the respondent may propose or accept a settlement.")
permission("disputes.close", is_assigned_arbiter | is_staff, "Only the dispute's arbiter or staff may close it.")
permission("disputes.declare_conflict", is_arbiter, "Only an arbiter declares conflicts of interest.")
permission("disputes.remove_conflict", is_own_conflict, "Only the arbiter who declared a conflict may remove it.")
