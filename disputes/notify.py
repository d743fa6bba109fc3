"""Who hears of a dispute's moves: both parties (in-app and by their webhooks), the arbiter, staff on escalation.

Webhook event types: ``dispute.filed``, ``dispute.updated``, ``dispute.ruled`` (``reputation.events``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.urls import reverse

from accounts.models import User
from accounts.services import notifications_create
from disputes.models import Dispute, Ruling
from reputation import events


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def payload(dispute: Dispute) -> dict[str, Any]:
    return {
        "dispute": dispute.pk,
        "agent": dispute.agent.slug,
        "status": dispute.status,
        "claimant": dispute.claimant.slug,
        "respondent": dispute.respondent.slug,
        "subject": {"type": dispute.subject_type, "id": dispute.subject_key.split(":", 1)[1]},
        "clause_id": dispute.clause_id or None,
        "respondent_defaulted": dispute.respondent_defaulted,
        "due_by": _iso(dispute.due_by),
    }


def url(dispute: Dispute) -> str:
    return reverse("disputes:detail", args=[dispute.pk])


def _publish(event_type: str, dispute: Dispute, title: str, data: dict[str, Any]) -> None:
    events.publish(
        event_type,
        agent=dispute.agent,
        title=title,
        url=url(dispute),
        data=data,
        organizations=[dispute.claimant_id, dispute.respondent_id],
    )


def dispute_filed(dispute: Dispute) -> None:
    _publish("dispute.filed", dispute, f"Dispute #{dispute.pk} filed about {dispute.agent.name}", payload(dispute))


def dispute_updated(dispute: Dispute, what: str) -> None:
    _publish(
        "dispute.updated",
        dispute,
        f"Dispute #{dispute.pk} ({dispute.agent.name}): {what}",
        {**payload(dispute), "what": what},
    )
    if dispute.arbiter_id is not None:
        to_users([dispute.arbiter], dispute, f"Dispute #{dispute.pk}: {what}")


def dispute_ruled(dispute: Dispute, ruling: Ruling) -> None:
    _publish(
        "dispute.ruled",
        dispute,
        f"Dispute #{dispute.pk} ({dispute.agent.name}) ruled: {ruling.get_outcome_display().lower()}",
        {
            **payload(dispute),
            "ruling": ruling.pk,
            "outcome": ruling.outcome,
            "stage": ruling.stage,
            "consequences": ruling.consequences,
        },
    )


def to_users(users: Iterable[Any], dispute: Dispute, title: str, *, kind: str = "dispute.updated") -> None:
    notifications_create(recipients=[u for u in users if u is not None], kind=kind, title=title, url=url(dispute))


def to_staff(dispute: Dispute, title: str) -> None:
    staff = list(User.objects.filter(is_staff=True, is_active=True))
    to_users(staff, dispute, title, kind="dispute.escalated")
