"""Dispute fixtures: an engaged buyer, a breached critical clause with a credit, two arbiters, staff, and a
``file`` helper that files a dispute about the clause's current verdict."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from disputes.filing import dispute_file
from disputes.models import Dispute
from evidence import services as evidence_services
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from reputation.engagements import engagement_start
from tests.factories import UserFactory, member
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict


@pytest.fixture
def pact(agent, vendor):
    """One critical clause (task_success ≥ 0.9, one sample enough) crediting 10 % on breach and downgrading."""
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(severity="critical", threshold=0.9, min_samples=1, max_evidence_age_days=3)
    document["obligations"] = [clause]
    created = pact_services.pact_create(agent=agent, user=vendor, title="Critical", document=document)
    pact_services.pact_version_publish(version=created.versions.get(number=1), user=vendor)
    return created


@pytest.fixture
def observe(agent, vendor, wire) -> Callable[..., list[Verdict]]:
    def run(successes: int, trials: int = 100) -> list[Verdict]:
        evidence_services.evidence_submit(agent=agent, items=[wire(successes=successes, trials=trials)], user=vendor)
        return agent_evaluate(agent_id=agent.pk)

    return run


@pytest.fixture
def engaged(pact, buyer, agent):
    return engagement_start(
        user=buyer, agent=agent, monthly_fee="1000.00", currency="EUR", starts_on=timezone.localdate().replace(day=1)
    )


@pytest.fixture
def verdict(engaged, observe) -> Verdict:
    """The clause's current verdict: met (the buyer says a breach was not recorded)."""
    observe(95)
    return Verdict.objects.get(is_current=True)


@pytest.fixture
def arbiter_b(db):
    return UserFactory(username="bo-arbiter", is_arbiter=True)


@pytest.fixture
def buyer_b(db):
    return member("gil-globex", "Globex Retail", "buyer")


@pytest.fixture
def file(buyer, agent, verdict) -> Callable[..., Dispute]:
    def run(user: Any = None, **overrides: Any) -> Dispute:
        fields: dict[str, Any] = {
            "agent": agent.slug,
            "subject": {"type": "verdict", "id": verdict.pk},
            "claim_type": "breach_not_recorded",
            "requested_remedy": "Record the breach and credit us 10 %.",
            "statement": "Our own logs show 40 % of refunds failed on 2026-11-28; the telemetry missed them.",
        }
        fields.update(overrides)
        return dispute_file(user=user or buyer, **fields)

    return run
