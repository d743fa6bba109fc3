"""A real Celery worker evaluates after ingest (the task is queued on commit, the worker shares the database)."""

from __future__ import annotations

import pytest

from evidence import services
from tests.conftest import wait_for
from verdicts.models import Verdict

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_evaluates_after_ingest_and_a_rerun_changes_nothing(
    celery_worker, published_pact, agent, vendor, wire
) -> None:
    services.evidence_submit(agent=agent, items=[wire(successes=10, trials=300)], user=vendor)
    assert wait_for(
        lambda: Verdict.objects.filter(agent=agent, clause_id="resolution-rate", is_current=True).exists(), timeout=60
    )
    assert Verdict.objects.get(agent=agent, clause_id="resolution-rate", is_current=True).status == "breached"
    count = Verdict.objects.count()
    from verdicts.tasks import evaluate_agent

    assert evaluate_agent.delay(agent.pk).get(timeout=60) == 0
    assert Verdict.objects.count() == count
