"""Reads of disputes: what a user may see, the arbiter's queue, one dispute whole, precedent search."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.permissions import may
from accounts.rules import acts_as_staff, organization_id_of
from disputes.models import (
    AWAITING_ARBITER,
    TERMINAL,
    Dispute,
    DisputeEvent,
    Ruling,
    Status,
    Submission,
    SubmissionAttachment,
)
from trust_portal.errors import NotFound


def dispute_list(
    *, user: Any, status: str = "", agent: str = "", role: str = "", open_only: bool = False
) -> QuerySet[Dispute]:
    """The disputes the user may see, newest first; ``role`` claimant | respondent filters to their side."""
    disputes = Dispute.objects.restrict(user, "view").select_related("agent", "claimant", "respondent", "arbiter")
    if status:
        disputes = disputes.filter(status=status)
    if open_only:
        disputes = disputes.exclude(status__in=TERMINAL)
    if agent:
        disputes = disputes.filter(agent__slug=agent)
    org_id = organization_id_of(user)  # a side of nobody's (an arbiter, staff) is no dispute at all
    if role == "claimant":
        disputes = disputes.filter(claimant_id=org_id) if org_id else disputes.none()
    elif role == "respondent":
        disputes = disputes.filter(respondent_id=org_id) if org_id else disputes.none()
    return disputes.order_by("-created_at", "-id")


def arbiter_queue(
    *, user: Any, mine: bool = False, status: str = "", agent: str = "", overdue: bool = False
) -> QuerySet[Dispute]:
    """What an arbiter is offered, soonest deadline first: unassigned disputes waiting for an arbiter (never one
    of a party they declared a conflict with, never an appeal of their own ruling); ``mine`` their own."""
    disputes = Dispute.objects.restrict(user, "queue").select_related("agent", "claimant", "respondent", "arbiter")
    if mine:
        disputes = disputes.filter(arbiter_id=user.pk).exclude(
            status__in=[Status.CLOSED, Status.WITHDRAWN, Status.SETTLED]
        )
    else:
        disputes = disputes.filter(arbiter__isnull=True, status__in=[*AWAITING_ARBITER, Status.AWAITING_RESPONSE])
        if not acts_as_staff(user):
            disputes = disputes.exclude(status=Status.APPEALED, rulings__stage="first", rulings__arbiter_id=user.pk)
    if status:
        disputes = disputes.filter(status=status)
    if agent:
        disputes = disputes.filter(agent__slug=agent)
    if overdue:
        from django.utils import timezone

        now = timezone.now()
        disputes = disputes.filter(Q(due_by__lt=now) | Q(review_due_by__lt=now))
    return disputes.order_by("review_due_by", "due_by", "id")


def dispute_get(*, user: Any, dispute_id: int) -> Dispute:
    """One dispute whole (submissions with attachments, rulings, events), or 404 when the user may not see it."""
    found = (
        Dispute.objects.restrict(user, "view")  # type: ignore[misc,type-var]
        .select_related("agent", "claimant", "respondent", "arbiter", "filed_by", "verdict", "pact")
        .prefetch_related(
            Prefetch(
                "submissions",
                queryset=Submission.objects.select_related("author").prefetch_related(
                    Prefetch("attachments", queryset=SubmissionAttachment.objects.select_related("attachment"))
                ),
            ),
            Prefetch("rulings", queryset=Ruling.objects.select_related("arbiter").prefetch_related("cites")),
            Prefetch("events", queryset=DisputeEvent.objects.select_related("actor")),
        )
        .filter(pk=dispute_id)
        .first()
    )
    if found is None:
        raise NotFound("No such dispute.")
    return found


def actions_for(user: Any, dispute: Dispute) -> list[str]:
    """The actions this user may take on this dispute now (what the page offers, what the API would accept)."""
    from disputes.workflow import first_arbiter_id

    status = dispute.status
    offered: list[str] = []
    if status == Status.AWAITING_RESPONSE and may(user, "disputes.respond", dispute):
        offered.append("respond")
    if status in (*AWAITING_ARBITER, Status.AWAITING_RESPONSE) and may(user, "disputes.assign", dispute):
        mine = dispute.arbiter_id == getattr(user, "pk", None)
        ruled_first = status == Status.APPEALED and first_arbiter_id(dispute) == getattr(user, "pk", None)
        if (dispute.arbiter_id is None and not ruled_first and not mine) or acts_as_staff(user):
            offered.append("assign")
    if status == Status.UNDER_REVIEW and may(user, "disputes.request_info", dispute):
        offered.append("request-info")
    if status == Status.INFO_REQUESTED and may(user, "disputes.submit_info", dispute):
        offered.append("submit-info")
    if status in (Status.UNDER_REVIEW, Status.APPEALED) and may(user, "disputes.rule", dispute):
        offered.append("rule")
    if status == Status.RULED and not dispute.past_due and may(user, "disputes.appeal", dispute):
        offered.append("appeal")
    if status in (Status.FILED, Status.AWAITING_RESPONSE, Status.UNDER_REVIEW, Status.INFO_REQUESTED):
        if may(user, "disputes.withdraw", dispute):
            offered.append("withdraw")
        if may(user, "disputes.settle", dispute):
            offered.append("settle")
    if (status == Status.RULED_ON_APPEAL or (status == Status.RULED and dispute.past_due)) and may(
        user, "disputes.close", dispute
    ):
        offered.append("close")
    return offered


# --- precedent ---------------------------------------------------------------------------------------------------


def precedent_search(
    *, user: Any, q: str = "", clause_id: str = "", metric: str = "", outcome: str = "", agent: str = ""
) -> QuerySet[Ruling]:
    """Rulings the user may read (every closed dispute's, in redacted form, and their own disputes'), newest
    first: by clause, metric, outcome and text (PostgreSQL full-text search; words all present elsewhere)."""
    rulings = (
        Ruling.objects.restrict(user, "view")
        .filter(superseded_by__isnull=True)
        .select_related("dispute", "agent", "arbiter")
        .prefetch_related("cites")
        .annotate(  # what ruling_public asks of each ruling, in the same query (no N+1 on a list)
            insider=Exists(Dispute.objects.restrict(user, "view").filter(pk=OuterRef("dispute_id"))),
            has_confidential=Exists(Submission.objects.filter(dispute_id=OuterRef("dispute_id"), confidential=True)),
        )
    )
    if clause_id:
        rulings = rulings.filter(clause_id=clause_id)
    if metric:
        rulings = rulings.filter(metric=metric)
    if outcome:
        rulings = rulings.filter(outcome=outcome)
    if agent:
        rulings = rulings.filter(agent__slug=agent)
    if q:
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            vector = SearchVector("rationale", config="english")
            query = SearchQuery(q, config="english", search_type="websearch")
            return rulings.annotate(rank=SearchRank(vector, query)).filter(rank__gt=0).order_by("-rank", "-created_at")
        for word in q.split()[:10]:
            rulings = rulings.filter(rationale__icontains=word)
    return rulings.order_by("-created_at", "-id")


def similar_rulings(dispute: Dispute, *, user: Any, limit: int = 5) -> list[Ruling]:
    """Earlier rulings on the same clause (else the same metric): what the ruling form suggests citing."""
    base = precedent_search(user=user).exclude(dispute=dispute)
    if dispute.clause_id:
        found = list(base.filter(clause_id=dispute.clause_id)[:limit])
        if found:
            return found
    return list(base.filter(metric=dispute.metric)[:limit]) if dispute.metric else []


def ruling_public(ruling: Ruling, user: Any) -> dict[str, Any]:
    """A ruling as an outsider may read it (precedent): no statements, no restricted values; the rationale only
    when the reader may see the dispute or no submission in it was marked confidential."""
    from accounts.permissions import can_view

    insider = getattr(ruling, "insider", None)
    if insider is None:
        insider = can_view(user, ruling.dispute)
    confidential = getattr(ruling, "has_confidential", None)
    if confidential is None:
        confidential = Submission.objects.filter(dispute_id=ruling.dispute_id, confidential=True).exists()
    return {
        "id": ruling.pk,
        "dispute": ruling.dispute_id if insider else None,
        "agent": ruling.agent.slug,
        "clause_id": ruling.clause_id or None,
        "metric": ruling.metric or None,
        "stage": ruling.stage,
        "outcome": ruling.outcome,
        "rationale": ruling.rationale if insider or not confidential else None,
        "redacted": not insider and confidential,
        "consequences": ruling.consequences,
        "cites": [c.pk for c in ruling.cites.all()],
        "arbiter": ruling.arbiter.username,
        "created_at": ruling.created_at,
    }
