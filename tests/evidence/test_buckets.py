"""Metric buckets (evidence.buckets): hour and day sums of each metric, added up across batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evidence import services
from evidence.models import MetricBucket

pytestmark = pytest.mark.django_db


def test_buckets_add_up_across_batches(agent, vendor, wire) -> None:
    services.evidence_submit(agent=agent, items=[wire(), wire()], user=vendor)
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    bucket = MetricBucket.objects.get(agent=agent, metric="task_success", span="hour")
    assert MetricBucket.objects.get(agent=agent, metric="task_success", span="day").records == 3
    assert bucket.records == 3
    assert bucket.state["successes"] == 3 * 57 and bucket.state["trials"] == 180


def test_every_day_with_evidence_has_its_bucket(agent, vendor, wire) -> None:
    now = timezone.now()
    items = []
    for day in range(12):
        end = now - timedelta(days=day, hours=day)
        items.append(wire(observed_from=(end - timedelta(hours=1)).isoformat(), observed_to=end.isoformat()))
    services.evidence_submit(agent=agent, items=items, user=vendor)
    assert MetricBucket.objects.filter(agent=agent, span="day").count() >= 12
