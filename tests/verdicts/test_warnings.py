"""Early warnings through evaluation: a rate clause burning its budget opens a warning (board, notification,
``clause.warning``), a quiet hour clears it, and a breach that follows is linked to it (its lead time)."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Notification
from evidence import services as evidence_services
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.models import Follow
from verdicts.evaluation import agent_evaluate
from verdicts.models import ClauseWarning, Verdict
from verdicts.warnings import lead_times


@pytest.fixture
def rate_pact(agent, vendor):
    """task_success rate ≥ 0.99 over 30 days (a 1 % budget: the fast rule fires at 14.4 % failures)."""
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(aggregation="rate", comparator=">=", threshold=0.99, window_days=30, min_samples=1)
    document["obligations"] = [clause]
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Rates", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    return pact


def send(agent, vendor, wire, *, successes: int, trials: int, minutes_ago: float, now=None) -> None:
    end = (now or timezone.now()) - timedelta(minutes=minutes_ago)
    record = wire(successes=successes, trials=trials)
    record.update(observed_from=(end - timedelta(minutes=1)).isoformat(), observed_to=end.isoformat())
    evidence_services.evidence_submit(agent=agent, items=[record], user=vendor)


def test_a_fast_burn_opens_a_warning_before_any_breach(rate_pact, agent, vendor, buyer, wire, client) -> None:
    Follow.objects.create(user=buyer, agent=agent)
    send(agent, vendor, wire, successes=100000, trials=100000, minutes_ago=60 * 24 * 3)  # a good history
    send(agent, vendor, wire, successes=800, trials=1000, minutes_ago=30)  # 20 % failures in the last hour
    send(agent, vendor, wire, successes=80, trials=100, minutes_ago=2)  # and in the last 5 minutes
    agent_evaluate(agent_id=agent.pk)
    verdict = Verdict.objects.get(is_current=True)
    assert verdict.status == "met"  # the 30-day rate is still ≥ 99 %… barely
    warning = ClauseWarning.objects.get()
    assert warning.is_open and warning.rule == "fast" and warning.burn_long == pytest.approx(20.0, rel=0.01)
    assert warning.threshold == pytest.approx(14.4)
    assert Notification.objects.filter(recipient=buyer, kind="clause.warning").count() == 1
    assert Notification.objects.filter(recipient=vendor, kind="clause.warning").count() == 1
    page = client.get(f"/agents/{agent.slug}/")
    assert b'data-testid="warning-' in page.content and b"fast burn" in page.content
    agent_evaluate(agent_id=agent.pk)  # still burning: the same warning, no second notification
    assert ClauseWarning.objects.count() == 1
    assert Notification.objects.filter(recipient=buyer, kind="clause.warning").count() == 1


def test_a_quiet_hour_clears_the_warning(rate_pact, agent, vendor, wire) -> None:
    send(agent, vendor, wire, successes=800, trials=1000, minutes_ago=30)
    send(agent, vendor, wire, successes=80, trials=100, minutes_ago=2)
    agent_evaluate(agent_id=agent.pk)
    assert ClauseWarning.objects.get().is_open
    agent_evaluate(agent_id=agent.pk, now=timezone.now() + timedelta(hours=7))  # nothing in the last 6 hours
    assert not ClauseWarning.objects.get().is_open


def test_low_volume_never_warns(rate_pact, agent, vendor, wire) -> None:
    send(agent, vendor, wire, successes=3, trials=6, minutes_ago=30)  # 50 % failures, but only 12 trials an hour
    send(agent, vendor, wire, successes=3, trials=6, minutes_ago=2)
    agent_evaluate(agent_id=agent.pk)
    assert not ClauseWarning.objects.exists()


def test_a_breach_after_a_warning_records_the_lead_time(rate_pact, agent, vendor, wire) -> None:
    send(agent, vendor, wire, successes=100000, trials=100000, minutes_ago=60 * 24 * 3)
    send(agent, vendor, wire, successes=800, trials=1000, minutes_ago=30)
    send(agent, vendor, wire, successes=80, trials=100, minutes_ago=2)
    agent_evaluate(agent_id=agent.pk)
    later = timezone.now() + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        send(agent, vendor, wire, successes=0, trials=5000, minutes_ago=1)  # the rate falls below 99 %
        agent_evaluate(agent_id=agent.pk)
    breach = Verdict.objects.get(is_current=True)
    assert breach.status == "breached"
    [lead] = lead_times(agent_ids=[agent.pk])
    assert lead["breach"] == breach.pk and lead["lead_seconds"] == pytest.approx(2 * 3600, abs=60)
