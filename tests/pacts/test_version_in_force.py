"""The version in force is one definition (PactVersion.objects.in_force, pacts.selectors.version_in_force), asked
by ingest, review staleness, evaluation, bundles and pages alike (issue 10, finding 6).

The regression: v2 is published to take effect 30 days later. Until then v1 stays in force everywhere — ingest
still wants v1's signed evidence, the review clock is v1's, verdicts are about v1, the bundle carries v1 and the
pages say v1 is in force and v2 scheduled — and from that day on v2 does, everywhere.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from evidence import services as evidence_services
from evidence.errors import EvidenceInvalid
from pacts import selectors
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1, refunds_v2
from pacts.models import Agent, Pact, PactVersion
from tests.factories import accuracy_record
from transparency import log as tlog
from verdicts.bundle import bundle_build
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict

pytestmark = pytest.mark.django_db

LEAD = timedelta(days=30)
V1_REVIEW_DAYS = 90
V2_REVIEW_DAYS = 14


@pytest.fixture
def published_at() -> datetime:
    return timezone.now()


@pytest.fixture
def pact(agent: Agent, vendor: User, published_at: datetime) -> Pact:
    """v1 (policy accuracy signed only, reviewed every 90 days) in force; v2 (no signatures, every 14 days) from
    30 days on."""
    v1 = refunds_v2()
    v1["review_every_days"] = V1_REVIEW_DAYS
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Refunds", document=v1)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor, now=published_at)
    v2 = copy.deepcopy(REFUNDS_V1)
    v2["review_every_days"] = V2_REVIEW_DAYS
    draft = pact_services.pact_version_create_draft(pact=pact, user=vendor, document=v2, changelog="lighter")
    pact_services.pact_version_publish(version=draft, user=vendor, effective_from=published_at + LEAD, now=published_at)
    return pact


@pytest.fixture
def after(published_at: datetime) -> Iterator[datetime]:
    """The clock a day after v2 takes effect."""
    moment = published_at + LEAD + timedelta(days=1)
    with time_machine.travel(moment, tick=False):
        yield moment


def number_in_force(pact: Pact, at: datetime | None = None) -> int | None:
    version = selectors.version_in_force(pact=pact, at=at)
    return version.number if version else None


def review_due(pact: Pact, at: datetime | None = None) -> Any:
    return Pact.objects.with_review_due(at).values_list("review_due_in_force", flat=True).get(pk=pact.pk)


def submit_unsigned_accuracy(agent: Agent, vendor: User) -> Any:
    return evidence_services.evidence_submit(agent=agent, items=[accuracy_record()], user=vendor, batch=False)


# --- before v2 takes effect: v1, everywhere ----------------------------------------------------------------------


def test_v1_is_in_force_until_v2_takes_effect(pact: Pact, published_at: datetime) -> None:
    assert number_in_force(pact) == 1
    assert number_in_force(pact, at=published_at + LEAD - timedelta(seconds=1)) == 1
    assert number_in_force(pact, at=published_at + LEAD) == 2
    assert pact.versions.get(number=1).status == PactVersion.Status.SUPERSEDED  # the status already says so


def test_ingest_still_wants_v1s_signed_evidence(pact: Pact, agent: Agent, vendor: User) -> None:
    with pytest.raises(EvidenceInvalid) as refused:
        submit_unsigned_accuracy(agent, vendor)
    assert refused.value.errors is not None
    assert refused.value.errors[0]["code"] == "signature_required"


def test_the_review_clock_is_v1s(pact: Pact, published_at: datetime) -> None:
    v1 = pact.versions.get(number=1)
    assert review_due(pact) == v1.review_by == published_at + timedelta(days=V1_REVIEW_DAYS)
    assert not Pact.objects.get(pk=pact.pk).is_stale


def test_evaluation_is_of_v1(pact: Pact, agent: Agent) -> None:
    agent_evaluate(agent_id=agent.pk)
    assert set(Verdict.objects.filter(pact=pact, is_current=True).values_list("pact_version__number", flat=True)) == {1}


def test_the_bundle_carries_v1(pact: Pact, agent: Agent, vendor: User) -> None:
    tlog.checkpoint_sign()
    [carried] = bundle_build(user=vendor, agent=agent)["pacts"]
    assert carried["version"] == 1


def test_pages_say_v1_is_in_force_and_v2_scheduled(client: Client, pact: Pact, agent: Agent, published_at) -> None:
    page = client.get(f"/agents/{agent.slug}/").content.decode()
    assert "v1 in force" in page
    assert f"v2 takes effect {(published_at + LEAD):%Y-%m-%d}" in page
    versions = page.split("<h3>Versions</h3>", 1)[1]
    assert versions.index(">scheduled<") < versions.index(">in force<")  # v2's row, then v1's
    assert "v2 scheduled" in client.get("/agents/").content.decode()
    v1_page = client.get(f"/pacts/{pact.pk}/v/1/").content.decode()
    assert 'data-testid="version-status">in force<' in v1_page and "in force until" in v1_page
    assert 'data-testid="version-status">scheduled<' in client.get(f"/pacts/{pact.pk}/v/2/").content.decode()


def test_the_api_says_v1_is_current_and_v2_scheduled(api_client, pact: Pact, agent: Agent) -> None:
    [summary] = api_client.get(f"/api/v1/agents/{agent.slug}/").json()["pacts"]
    assert summary["current_version"]["number"] == 1
    assert summary["scheduled_version"]["number"] == 2


# --- from the day v2 takes effect: v2, everywhere ---------------------------------------------------------------


def test_then_ingest_follows_v2(pact: Pact, agent: Agent, vendor: User, after: datetime) -> None:
    assert number_in_force(pact) == 2
    assert len(submit_unsigned_accuracy(agent, vendor)) == 1  # v2 asks no signature


def test_then_the_review_clock_is_v2s(pact: Pact, published_at: datetime, after: datetime) -> None:
    v2_due = published_at + LEAD + timedelta(days=V2_REVIEW_DAYS)
    assert review_due(pact) == pact.versions.get(number=2).review_by == v2_due
    assert not Pact.objects.get(pk=pact.pk).is_stale
    assert Pact.objects.stale(v2_due).filter(pk=pact.pk).exists()  # long before v1's 90 days
    assert selectors.stale_pacts(at=v2_due - timedelta(seconds=1)).count() == 0


def test_a_re_review_of_v1_does_not_count_for_v2(pact: Pact, vendor: User, published_at: datetime) -> None:
    pact_services.pact_review(pact=pact, user=vendor, now=published_at + timedelta(days=10))
    assert review_due(pact, at=published_at + timedelta(days=11)) == published_at + timedelta(days=100)
    assert review_due(pact, at=published_at + LEAD) == pact.versions.get(number=2).review_by
    # and a re-review of v2 restarts v2's clock
    reviewed = published_at + LEAD + timedelta(days=5)
    pact_services.pact_review(pact=pact, user=vendor, now=reviewed)
    assert review_due(pact, at=reviewed) == reviewed + timedelta(days=V2_REVIEW_DAYS)


def test_then_evaluation_is_of_v2(pact: Pact, agent: Agent, after: datetime) -> None:
    agent_evaluate(agent_id=agent.pk)
    assert set(Verdict.objects.filter(pact=pact, is_current=True).values_list("pact_version__number", flat=True)) == {2}


def test_then_the_bundle_carries_v2(pact: Pact, agent: Agent, vendor: User, after: datetime) -> None:
    tlog.checkpoint_sign()
    [carried] = bundle_build(user=vendor, agent=agent)["pacts"]
    assert carried["version"] == 2


def test_then_pages_say_v2_is_in_force(client: Client, pact: Pact, agent: Agent, after: datetime) -> None:
    page = client.get(f"/agents/{agent.slug}/").content.decode()
    assert "v2 in force" in page and "takes effect" not in page
    assert ">scheduled<" not in page and ">superseded<" in page
    assert 'data-testid="version-status">superseded<' in client.get(f"/pacts/{pact.pk}/v/1/").content.decode()


def test_a_retired_pact_has_nothing_in_force(pact: Pact, vendor: User, published_at: datetime) -> None:
    pact_services.pact_retire(pact=pact, user=vendor)
    assert number_in_force(pact) is None
    assert number_in_force(pact, at=published_at + LEAD + timedelta(days=1)) is None
    assert review_due(pact) is None
