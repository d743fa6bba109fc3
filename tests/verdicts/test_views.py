"""Verdict pages (verdicts.views): why a clause has its status (counted and refused evidence, never what the
reader may not see), and a record's inclusion proof."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evidence import services
from transparency import log as tlog
from verdicts.evaluation import agent_evaluate

pytestmark = pytest.mark.django_db


def why(pact, clause_id: str = "resolution-rate") -> str:
    return f"/agents/refund-bot/clauses/{pact.pk}/{clause_id}/"


def test_why_view_lists_counted_and_refused_evidence(published_pact, submit, client) -> None:
    old_end = timezone.now() - timedelta(days=9)
    submit(successes=199, trials=200)
    submit(observed_from=(old_end - timedelta(hours=1)).isoformat(), observed_to=old_end.isoformat())
    html = client.get(why(published_pact)).content.decode()
    assert "counted" in html and "older than 7 day(s): stale" in html


def test_why_view_of_an_unknown_clause_is_404(published_pact, client) -> None:
    assert client.get(why(published_pact, "no-such-clause")).status_code == 404


def test_why_view_hides_restricted_evidence_from_outsiders(published_pact, agent, vendor, buyer, wire, client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(visibility="restricted")], user=vendor)
    client.force_login(buyer)
    assert f"#{stored[0].id}<" not in client.get(why(published_pact)).content.decode()
    client.force_login(vendor)
    assert f"#{stored[0].id}<" in client.get(why(published_pact)).content.decode()


def test_why_view_does_not_quote_restricted_records_in_refusals(published_pact, agent, vendor, wire, client) -> None:
    secret = {"task": "SECRET-internal-suite", "task_version": "9", "dataset_hash": "ab" * 32, "scorer": "hidden"}
    restricted = wire(
        kind="eval_run",
        metric="policy_accuracy",
        successes=None,
        trials=None,
        value=0.99,
        visibility="restricted",
        measurement=secret,
    )
    services.evidence_submit(agent=agent, items=[restricted], user=vendor)
    agent_evaluate(agent_id=agent.pk)
    response = client.get(why(published_pact, "policy-accuracy"))
    assert response.status_code == 200
    assert "SECRET" not in response.content.decode()


def test_proof_page_shows_the_leaf_of_a_covered_record(agent, vendor, wire, client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(), wire()], user=vendor)
    tlog.checkpoint_sign()
    proof = client.get(f"/evidence/{stored[1].id}/proof/")
    assert proof.status_code == 200
    assert 'data-testid="leaf-index">1<' in proof.content.decode()
