"""Verdicts in the database (verdicts.evaluation): written after ingest, only on change, as of any moment,
equal to the evaluator from scratch, re-evaluated on publish, and marked while disputed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evidence import services
from evidence.models import EvidenceRecord
from pacts.demo_documents import refunds_v2
from pacts.services import pact_version_create_draft, pact_version_publish
from trustcore.evaluator import ClauseSpec, evaluate
from verdicts import hooks
from verdicts.evaluation import agent_evaluate, clause_verdict, observation
from verdicts.models import Verdict
from verdicts.tasks import evaluate_agent

pytestmark = pytest.mark.django_db


def test_a_breach_appears_within_one_task_run_of_the_evidence(published_pact, submit, current) -> None:
    submit(successes=150, trials=200)  # 75 % < 92 %
    verdict = current()
    assert verdict.status == "breached"
    assert verdict.measured == pytest.approx(0.75)
    assert verdict.samples == 200
    assert current("latency-p95").status == "stale"


def test_running_the_evaluation_twice_changes_nothing(published_pact, agent, submit) -> None:
    submit(successes=199, trials=200)
    count = Verdict.objects.count()
    assert evaluate_agent.delay(agent.pk).get() == 0
    assert agent_evaluate(agent_id=agent.pk) == []
    assert Verdict.objects.count() == count
    assert Verdict.objects.filter(is_current=True).count() == 3


def test_each_change_writes_one_row_and_moves_current(published_pact, agent, submit, current) -> None:
    submit(successes=199, trials=200)
    assert current().status == "met"
    submit(successes=0, trials=300)
    series = list(Verdict.objects.filter(agent=agent, clause_id="resolution-rate").order_by("computed_at", "id"))
    assert [v.status for v in series] == ["met", "breached"]
    assert [v.is_current for v in series] == [False, True]


def test_publishing_a_version_re_evaluates(
    published_pact, vendor, submit, current, django_capture_on_commit_callbacks
) -> None:
    submit(successes=186, trials=200)  # 93 %: meets 92, not 94
    assert current().status == "met"
    with django_capture_on_commit_callbacks(execute=True):
        draft = pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
        pact_version_publish(version=draft, user=vendor)
    verdict = current()
    assert verdict.status == "breached"
    assert verdict.pact_version.number == 2


def test_evaluating_as_of_the_past_ignores_later_evidence(published_pact, agent, submit) -> None:
    now = timezone.now()
    submit(
        successes=10,
        trials=300,
        observed_from=(now - timedelta(hours=3)).isoformat(),
        observed_to=(now - timedelta(hours=2)).isoformat(),
    )
    earlier = agent_evaluate(agent_id=agent.pk, now=now - timedelta(days=1))
    assert {v.clause_id: v.status for v in earlier}.get("resolution-rate") in (None, "stale")


@pytest.mark.parametrize("clause_id", ["resolution-rate", "latency-p95", "policy-accuracy"])
def test_database_path_equals_from_scratch(published_pact, agent, vendor, wire, clause_id: str) -> None:
    now = timezone.now()
    items = []
    for day in range(12):
        end = now - timedelta(days=day, hours=day)
        items.append(
            wire(
                successes=150 + day,
                trials=200,
                observed_from=(end - timedelta(hours=1)).isoformat(),
                observed_to=end.isoformat(),
            )
        )
        items.append(
            wire(
                successes=None,
                trials=None,
                metric="latency_ms",
                values=[900.0 + day, 1500.0, 2100.0 - day],
                observed_from=(end - timedelta(hours=1)).isoformat(),
                observed_to=end.isoformat(),
            )
        )
    services.evidence_submit(agent=agent, items=items, user=vendor)
    records = [observation(r) for r in EvidenceRecord.objects.filter(agent=agent)]
    clause = published_pact.versions.get().clauses.get(clause_id=clause_id)
    spec = ClauseSpec.from_row(clause.as_row())
    incremental = clause_verdict(agent_id=agent.pk, spec=spec, now=now)
    scratch = evaluate(spec, records, now)
    assert (incremental.status, incremental.samples) == (scratch.status, scratch.samples)
    if scratch.measured is not None and spec.aggregation not in ("p50", "p95", "p99"):
        assert incremental.measured == pytest.approx(scratch.measured)


def test_a_dispute_marks_the_clause_disputed_and_keeps_the_breach(published_pact, agent, submit, current) -> None:
    def provider(agent_id: int) -> set[tuple[int, str]]:
        return {(published_pact.pk, "resolution-rate")} if agent_id == agent.pk else set()

    hooks.disputed_clauses.append(provider)
    try:
        submit(successes=10, trials=300)
        verdict = current()
    finally:
        hooks.disputed_clauses.remove(provider)
    assert verdict.disputed is True
    assert verdict.status == "breached"
    assert verdict.shown_status == "disputed"
