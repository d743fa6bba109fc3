"""The beat's task: deadlines move disputes on their own (``disputes.escalate``, every DISPUTE_SWEEP_SECONDS).

=====================  ===========================  ===============================================================
state                  deadline passed              what happens
=====================  ===========================  ===============================================================
awaiting_response      ``due_by`` (response_days)   respondent default: under_review, ``respondent_defaulted``
info_requested         ``due_by`` (response_days)   back to under_review without the answer
under_review/appealed  ``review_due_by``            staff notified; an assigned arbiter is released (the dispute is
                                                    back in the queue); the review deadline restarts
ruled                  ``due_by`` (appeal_days)     closed: the ruling is final
ruled_on_appeal        at once                      closed
=====================  ===========================  ===============================================================

Every step is an action like any other (a conditional UPDATE and one event, actor: the system), so a step a
person took a moment earlier wins and the sweep skips it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from disputes import notify
from disputes.errors import TransitionRefused
from disputes.models import Dispute, Status
from disputes.workflow import dispute_close, move


def _default(dispute: Dispute, now: datetime) -> None:
    review_due = now + timedelta(days=dispute.review_days)
    with transaction.atomic():
        dispute = move(
            dispute,
            actor=None,
            action="default",
            sources=[Status.AWAITING_RESPONSE],
            to=Status.UNDER_REVIEW,
            now=now,
            respondent_defaulted=True,
            due_by=review_due,
            review_due_by=review_due,
            note=f"the respondent did not answer within {dispute.response_days} days",
        )
        notify.dispute_updated(dispute, "the respondent defaulted: the review goes on without its answer")


def _unanswered(dispute: Dispute, now: datetime) -> None:
    review_due = max(dispute.review_due_by or now, now + timedelta(days=1))
    with transaction.atomic():
        dispute = move(
            dispute,
            actor=None,
            action="info_deadline",
            sources=[Status.INFO_REQUESTED],
            to=Status.UNDER_REVIEW,
            now=now,
            info_party="",
            due_by=review_due,
            review_due_by=review_due,
            note=f"the {dispute.info_party} did not answer by the deadline",
        )
        notify.dispute_updated(dispute, "the question went unanswered: the review goes on")


def _escalate(dispute: Dispute, now: datetime) -> None:
    review_due = now + timedelta(days=dispute.review_days)
    released = dispute.arbiter
    with transaction.atomic():
        dispute = move(
            dispute,
            actor=None,
            action="escalate",
            sources=[Status.UNDER_REVIEW, Status.APPEALED],
            now=now,
            arbiter=None,
            escalated_at=now,
            due_by=review_due,
            review_due_by=review_due,
            note=(
                f"{released.username} missed the review deadline; back in the queue"
                if released
                else "no arbiter took it by the review deadline"
            ),
        )
        notify.to_staff(dispute, f"Dispute #{dispute.pk} is past its review deadline")
        if released is not None:
            notify.to_users([released], dispute, f"Dispute #{dispute.pk} went back to the queue (review overdue)")


def escalate_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """Move every overdue dispute one step; returns how many of each."""
    now = now or timezone.now()
    counts = {"defaulted": 0, "unanswered": 0, "escalated": 0, "closed": 0}
    steps = [
        ("defaulted", Dispute.objects.filter(status=Status.AWAITING_RESPONSE, due_by__lt=now), _default),
        ("unanswered", Dispute.objects.filter(status=Status.INFO_REQUESTED, due_by__lt=now), _unanswered),
        (
            "escalated",
            Dispute.objects.filter(status__in=[Status.UNDER_REVIEW, Status.APPEALED], review_due_by__lt=now),
            _escalate,
        ),
        (
            "closed",
            Dispute.objects.filter(status=Status.RULED, due_by__lt=now)
            | Dispute.objects.filter(status=Status.RULED_ON_APPEAL, due_by__lte=now),
            lambda d, at: dispute_close(user=None, dispute=d, now=at),
        ),
    ]
    for name, due, step in steps:
        for dispute in due.select_related("agent", "claimant", "respondent", "arbiter").order_by("due_by", "pk"):
            try:
                step(dispute, now)
            except TransitionRefused:  # someone acted on it a moment ago
                continue
            counts[name] += 1
    return counts
