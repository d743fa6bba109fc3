"""Trust-loop fixtures: a one-clause pact whose verdict any single record settles, and a helper that submits a
record and runs the evaluation as the task would."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from evidence import services as evidence_services
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from reputation.models import Reputation
from verdicts.evaluation import agent_evaluate


@pytest.fixture
def one_clause(agent, vendor):
    """A published pact with one critical clause: task_success rate ≥ 0.9 over 30 days, one sample enough."""
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(severity="critical", threshold=0.9, min_samples=1, max_evidence_age_days=3)
    document["obligations"] = [clause]
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Critical", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    return pact


@pytest.fixture
def observe(agent, vendor, wire) -> Callable[..., Reputation]:
    """observe(successes, trials=100) -> the agent's reputation after that record and an evaluation."""

    def run(successes: int, trials: int = 100, **overrides: Any) -> Reputation:
        evidence_services.evidence_submit(
            agent=agent, items=[wire(successes=successes, trials=trials, **overrides)], user=vendor
        )
        agent_evaluate(agent_id=agent.pk)
        return Reputation.objects.get(agent=agent)

    return run


@pytest.fixture
def buyer2(db):
    from tests.factories import member

    return member("gil-globex", "Globex Retail", "buyer")


@pytest.fixture
def buyer_member(buyer):
    from tests.factories import member

    return member("bo-northwind", "Northwind Bank", "buyer", role="member")
