"""Re-scoring and re-tiering after each evaluation (reputation.services): events that explain themselves and
recompute, a downgrade in the same transaction as the breach, an upgrade only after the sustained period."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from reputation.models import Reputation, ScoreEvent, TierChange
from reputation.services import recompute
from verdicts import hooks as verdict_hooks
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict

pytestmark = pytest.mark.django_db


def test_first_verdicts_put_the_agent_on_probation_with_an_event(one_clause, observe, agent) -> None:
    reputation = observe(95)
    assert reputation.tier == "probation"
    assert "first verdicts" in reputation.tier_reason
    event = ScoreEvent.objects.get(agent=agent)
    verdict = Verdict.objects.get(agent=agent, is_current=True)
    assert (event.source_type, event.source_id) == ("verdict", verdict.pk)
    assert event.score == reputation.score and event.lower_bound == reputation.lower_bound
    assert TierChange.objects.get(agent=agent).old == "unverified"


def test_a_breached_critical_clause_suspends_at_once(one_clause, observe, agent) -> None:
    observe(95)
    reputation = observe(10, trials=1000)  # the rate falls far below 0.9
    assert Verdict.objects.get(agent=agent, is_current=True).status == "breached"
    assert reputation.tier == "suspended"
    change = TierChange.objects.filter(agent=agent).first()
    assert (change.old, change.new) == ("probation", "suspended")
    assert "critical clause resolution-rate" in change.reason
    breach = ScoreEvent.objects.filter(agent=agent).first()
    assert breach.delta < 0 and "breached" in breach.reason


def test_the_verdict_and_the_tier_commit_together(one_clause, observe, agent, monkeypatch) -> None:
    observe(95)

    def crash(*args: object) -> None:
        raise RuntimeError("the re-tiering failed")

    monkeypatch.setattr(verdict_hooks, "evaluated", [*verdict_hooks.evaluated, crash])
    with pytest.raises(RuntimeError):
        observe(10, trials=1000)
    # Neither the breach nor anything derived from it was kept: the next run records both together.
    assert Verdict.objects.get(agent=agent, is_current=True).status == "met"
    assert Reputation.objects.get(agent=agent).tier == "probation"


def test_every_stored_event_recomputes_from_its_inputs(one_clause, observe, agent) -> None:
    for successes, trials in ((95, 100), (10, 1000), (20000, 20000)):  # met, breached, met again
        observe(successes, trials=trials)
    events = list(ScoreEvent.objects.filter(agent=agent))
    assert len(events) >= 3
    for event in events:
        again = recompute(event.inputs)
        assert (again.score, again.lower_bound) == (event.score, event.lower_bound)


def test_a_rerun_with_nothing_new_writes_no_event(one_clause, observe, agent) -> None:
    observe(95)
    count = ScoreEvent.objects.count()
    agent_evaluate(agent_id=agent.pk)
    assert ScoreEvent.objects.count() == count


def test_an_upgrade_waits_for_the_sustained_period(one_clause, observe, agent, settings) -> None:
    """Daily good evidence: the bound passes the standard bar after a week, the tier follows 14 days later."""
    settings.TIER_UPGRADE_DAYS = 14
    start = timezone.now()
    crossed = upgraded = None
    for day in range(40):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            reputation = observe(99)
            if crossed is None and reputation.lower_bound >= 65:
                crossed = day
            if upgraded is None and reputation.tier == "standard":
                upgraded = day
    assert crossed is not None and upgraded is not None
    assert upgraded - crossed == 14
    change = TierChange.objects.filter(agent=agent, new="standard").get()
    assert "sustained 14 days" in change.reason


def test_a_breach_and_a_downgrade_notify_the_buyers_following_the_agent(one_clause, observe, agent, buyer) -> None:
    from accounts.models import Notification
    from pacts import services as pact_services

    pact_services.agent_follow(agent=agent, user=buyer)
    observe(95)
    observe(10, trials=1000)
    observe(11, trials=1000)  # still breached: announced once
    kinds = list(Notification.objects.filter(recipient=buyer).values_list("kind", flat=True))
    assert kinds.count("verdict.breached") == 1
    assert "tier.changed" in kinds
    downgrade = Notification.objects.filter(recipient=buyer, kind="tier.changed").first()
    assert "probation → suspended" in downgrade.title and downgrade.url.endswith("/score/")


def test_a_failing_clause_whose_pact_says_downgrade_holds_the_tier_at_probation() -> None:
    from trustcore.score import Standing, target_tier

    standing = Standing(has_pact=True, has_verdicts=True, downgrading=("resolution-rate",))
    tier, reason = target_tier(standing, 90.0)
    assert tier == "probation" and "resolution-rate fails and its pact says downgrade" in reason


def test_the_standing_names_failing_clauses_with_a_downgrade_consequence(agent, vendor, wire) -> None:
    import copy

    from pacts import services as pact_services
    from pacts.demo_documents import REFUNDS_V1
    from reputation.services import _standing

    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]  # major, on_breach: service credit and downgrade
    clause.update(min_samples=1)
    document["obligations"] = [clause]
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Major", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    from evidence import services as evidence_services

    evidence_services.evidence_submit(agent=agent, items=[wire(successes=1, trials=100)], user=vendor)
    agent_evaluate(agent_id=agent.pk)
    assert _standing(agent.pk, timezone.now()).downgrading == ("resolution-rate",)
    assert Reputation.objects.get(agent=agent).tier == "probation"


def test_a_rise_is_never_blamed_on_a_breach(one_clause, observe, agent) -> None:
    observe(10, trials=1000)
    observe(20000, trials=20000)  # met again: the score rises
    rise = ScoreEvent.objects.filter(agent=agent).first()
    assert rise.delta > 0 and "breached" not in rise.reason
