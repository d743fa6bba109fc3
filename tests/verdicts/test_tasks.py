"""Verdict tasks (verdicts.tasks): the sweep turns verdicts stale as time passes, and a real Celery worker
evaluates after ingest (the task is queued on commit, the worker shares the database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from evidence import services
from tests.conftest import wait_for
from verdicts.models import Verdict
from verdicts.tasks import evaluate_agent, sweep_verdicts


@pytest.mark.django_db
def test_the_sweep_turns_met_into_stale_with_no_new_evidence(published_pact, submit, current) -> None:
    submit(successes=199, trials=200)
    assert current().status == "met"
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert sweep_verdicts.delay().get() >= 1
        verdict = current()
    assert verdict.status == "stale"
    assert verdict.measured is None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_evaluates_after_ingest_and_a_rerun_changes_nothing(
    celery_worker, published_pact, agent, vendor, wire
) -> None:
    services.evidence_submit(agent=agent, items=[wire(successes=10, trials=300)], user=vendor)
    # Publishing the pact (the fixture) queued an evaluation too, which may land first and finds no evidence
    # (stale): wait for the one that counted the record.
    current = Verdict.objects.filter(agent=agent, clause_id="resolution-rate", is_current=True)
    assert wait_for(lambda: current.filter(used_records=1).exists(), timeout=60)
    assert current.get().status == "breached"
    count = Verdict.objects.count()
    assert evaluate_agent.delay(agent.pk).get(timeout=60) == 0
    assert Verdict.objects.count() == count
