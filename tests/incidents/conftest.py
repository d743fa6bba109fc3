"""Incident fixtures: the agent's vendor (owner and member), an engaged buyer, a buyer engaging nothing, another
vendor, staff; a pact with one critical clause; verdict history written directly at chosen moments; and a
``report`` helper that opens an incident through the service."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from reputation.engagements import engagement_start
from tests.factories import member
from verdicts.models import Verdict

CLAUSE = "resolution-rate"


@pytest.fixture
def now() -> datetime:
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def pact(agent, vendor):
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(severity="critical", threshold=0.9, min_samples=1, max_evidence_age_days=3)
    document["obligations"] = [clause]
    created = pact_services.pact_create(agent=agent, user=vendor, title="Critical", document=document)
    pact_services.pact_version_publish(
        version=created.versions.get(number=1), user=vendor, now=timezone.now() - timedelta(days=100)
    )
    return created


@pytest.fixture
def clause_id(pact) -> str:
    return pact.versions.get(number=1).clauses.get().clause_id


@pytest.fixture
def vendor_member(db):
    return member("vic-member", "Acme Agents", "vendor", "member")


@pytest.fixture
def buyer_member(db):
    return member("bob-member", "Northwind Bank", "buyer", "member")


@pytest.fixture
def buyer_b(db):
    return member("bill-buyer", "Globex Retail", "buyer")


@pytest.fixture
def engaged(pact, buyer, agent):
    return engagement_start(
        user=buyer, agent=agent, monthly_fee="1000.00", currency="EUR", starts_on=timezone.localdate().replace(day=1)
    )


@pytest.fixture
def history(pact, agent, clause_id) -> Callable[..., Verdict]:
    """history(status, at) writes one verdict of the clause computed at ``at`` (not current)."""

    def write(status: str, at: datetime) -> Verdict:
        return Verdict.objects.create(
            agent=agent,
            pact=pact,
            pact_version=pact.versions.get(number=1),
            clause_id=clause_id,
            status=status,
            threshold=0.9,
            comparator=">=",
            min_samples=1,
            window_start=at - timedelta(days=30),
            window_end=at,
            computed_at=at,
            is_current=False,
        )

    return write


@pytest.fixture
def report(agent, vendor, pact, clause_id, now) -> Callable[..., Incident]:
    def make(user: Any = None, **fields: Any) -> Incident:
        values: dict[str, Any] = {
            "title": "Refunds stuck",
            "severity": "critical",
            "visible_at": now - timedelta(hours=1),
            "detected_by": "customer complaints",
            "clauses": [clause_id],
        }
        values.update(fields)
        return services.incident_create(user=user or vendor, agent=values.pop("agent", agent), **values)

    return make
