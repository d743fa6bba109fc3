"""Trust after degradation on real rows: the portal's own tiers over a history with a breach and staleness of a
critical clause show 0 s; a buyer policy's logged allow during the breach shows its time, named, to that buyer
(and staff) only; the API keeps the contract's fields; who may read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Organization
from incidents import degradation
from reputation.models import Decision
from reputation.policies import policy_create
from tests.incidents.histories import T0, build_history
from trust_portal.errors import Forbidden
from verdicts.models import Verdict


@pytest.fixture
def history(agent, vendor):
    return build_history(agent, vendor)


def _log(policy, agent, *, result: str, at) -> Decision:
    return Decision.objects.create(
        decision_id=f"dec_{policy.pk}_{at.timestamp():.0f}",
        policy=policy,
        revision=policy.revisions.get(number=policy.revision),
        agent=agent,
        result=result,
        input={},
        conditions=[],
        reasons=[],
        at=at,
    )


def test_the_systems_own_tiers_show_no_time_on_real_rows(history, agent, staff) -> None:
    assert Verdict.objects.filter(pact=history, status__in=["breached", "stale"]).exists()
    body = degradation.report(user=staff, agent=agent, now=T0 + timedelta(days=40))
    assert body["critical_failures"]  # the breach and the staleness were found…
    assert body["tier_seconds"] == 0.0 and body["total_seconds"] == 0.0 and body["intervals"] == []  # …never trusted


def test_an_allowing_policy_shows_its_time_named_to_its_own_buyer(
    history, agent, buyer, engaged_buyer, staff, vendor
) -> None:
    from reputation.engagements import engagement_start

    engagement_start(user=buyer, agent=agent, monthly_fee="100.00", currency="EUR", starts_on=timezone.localdate())
    breach = Verdict.objects.filter(pact=history, clause_id="resolution-rate", status="breached").earliest(
        "computed_at"
    )
    organization = Organization.objects.get(name="Northwind Bank")
    policy = policy_create(user=buyer, organization=organization, name="Lenient", rules={"min_tier": "suspended"})
    _log(policy, agent, result="allow", at=breach.computed_at + timedelta(hours=1))
    _log(policy, agent, result="deny", at=breach.computed_at + timedelta(hours=5))
    mine = degradation.report(user=buyer, agent=agent, now=T0 + timedelta(days=40))
    assert mine["total_seconds"] == 4 * 3600.0 and mine["tier_seconds"] == 0.0
    (interval,) = mine["intervals"]
    assert set(interval) >= {"from", "to", "held", "clause", "policy"}
    assert interval["held"] == "allow" and interval["policy"] == policy.pk and interval["clause"] == "resolution-rate"
    assert interval["reason"] == f"policy {policy.pk} allowed while resolution-rate was breached"
    assert degradation.report(user=staff, agent=agent, now=T0 + timedelta(days=40))["total_seconds"] == 4 * 3600.0
    assert degradation.report(user=vendor, agent=agent, now=T0 + timedelta(days=40))["intervals"] == []
    assert degradation.report(user=engaged_buyer, agent=agent, now=T0 + timedelta(days=40))["intervals"] == []


def test_who_reads_the_report(agent, vendor, buyer, buyer_b, arbiter, staff, engaged_buyer, client) -> None:
    url = f"/api/v1/agents/{agent.slug}/trust-after-degradation/"
    assert client.get(url).status_code == 401
    for user, expected in ((vendor, 200), (engaged_buyer, 200), (staff, 200), (buyer_b, 403), (arbiter, 403)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == expected, (user, response.content)
        if expected == 200:
            assert set(response.json()) >= {"total_seconds", "intervals"}
    client.force_login(buyer_b)
    with pytest.raises(Forbidden):
        degradation.report(user=buyer_b, agent=agent)
    assert client.get(url + "?x=1").status_code in (400, 403)


def test_the_page_shows_the_report(history, agent, vendor, client) -> None:
    client.force_login(vendor)
    page = client.get(f"/agents/{agent.slug}/trust-after-degradation/")
    assert page.status_code == 200
    assert b'data-testid="tier-seconds">0 s' in page.content and b'data-testid="replay-form"' in page.content


@pytest.fixture
def engaged_buyer(agent, vendor, db):
    """A second buyer engaging the agent (its own decisions only)."""
    from pacts import services as pact_services
    from pacts.demo_documents import REFUNDS_V1
    from reputation.engagements import engagement_start
    from tests.factories import member

    if not agent.pacts.exists():
        pact = pact_services.pact_create(agent=agent, user=vendor, title="Refunds", document=REFUNDS_V1)
        pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    user = member("cora-contoso", "Contoso Insurance", "buyer")
    engagement_start(
        user=user, agent=agent, monthly_fee="1000.00", currency="EUR", starts_on=timezone.localdate().replace(day=1)
    )
    return user


def test_a_policys_explicit_grace_is_named_and_time_past_it_is_not(history, agent, buyer, engaged_buyer) -> None:
    from reputation.engagements import engagement_start

    engagement_start(user=buyer, agent=agent, monthly_fee="100.00", currency="EUR", starts_on=timezone.localdate())
    breach = Verdict.objects.filter(pact=history, clause_id="resolution-rate", status="breached").earliest(
        "computed_at"
    )
    organization = Organization.objects.get(name="Northwind Bank")
    policy = policy_create(
        user=buyer, organization=organization, name="Grace", rules={"min_tier": "probation", "critical_grace_hours": 2}
    )
    _log(policy, agent, result="allow", at=breach.computed_at)
    _log(policy, agent, result="deny", at=breach.computed_at + timedelta(hours=3))
    body = degradation.report(user=buyer, agent=agent, now=T0 + timedelta(days=40))
    inside, past = body["intervals"]
    assert (inside["within_grace"], inside["seconds"]) == (True, 2 * 3600.0)
    assert "grants 2 h of grace" in inside["reason"]
    assert (past["within_grace"], past["seconds"]) == (False, 3600.0) and "past the grace" in past["reason"]
