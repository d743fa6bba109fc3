from __future__ import annotations

from celery import shared_task

from disputes.deadlines import escalate_overdue
from disputes.rulings import ruling_apply


@shared_task(name="disputes.escalate")
def escalate() -> dict[str, int]:
    """Deadlines move disputes on their own (respondent default, review overdue, appeal window over)."""
    return escalate_overdue()


@shared_task(name="disputes.apply_ruling")
def apply_ruling(ruling_id: int) -> bool:
    """A ruling's effects, once (a second run changes nothing): for retries and repairs."""
    return ruling_apply(ruling_id=ruling_id)
