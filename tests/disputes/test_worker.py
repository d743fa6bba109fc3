"""Deadlines and rulings through a real Celery worker: the beat's task moves an overdue dispute, and the ruling
task run twice by the worker changes nothing the second time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import workflow
from disputes.models import Dispute, Status
from disputes.rulings import dispute_rule
from disputes.tasks import apply_ruling, escalate
from reputation.models import LedgerEntry, ScoreEvent

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
RATIONALE = "The buyer's request logs show failed refunds the telemetry never counted; the vendor did not contest. " * 2


def test_the_worker_defaults_an_overdue_respondent(celery_worker, file) -> None:
    dispute = file()
    Dispute.objects.filter(pk=dispute.pk).update(due_by=timezone.now() - timedelta(minutes=1))
    assert escalate.delay().get(timeout=60)["defaulted"] == 1
    dispute.refresh_from_db()
    assert dispute.status == Status.UNDER_REVIEW and dispute.respondent_defaulted


def test_the_worker_applies_a_ruling_once(celery_worker, file, vendor, arbiter) -> None:
    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="All logged.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    ruling = dispute_rule(
        user=arbiter,
        dispute=dispute,
        outcome="upheld",
        rationale=RATIONALE,
        consequences=[{"action": "service_credit", "percent": 10}],
    )
    events = ScoreEvent.objects.filter(source_type="ruling", source_id=ruling.pk).count()
    assert events == 1
    assert apply_ruling.delay(ruling.pk).get(timeout=60) is False
    assert apply_ruling.delay(ruling.pk).get(timeout=60) is False
    assert ScoreEvent.objects.filter(source_type="ruling", source_id=ruling.pk).count() == events
    assert LedgerEntry.objects.filter(ruling_id=ruling.pk).count() == 1
