"""Trust never outlives the signal by default: a suspended agent is denied under every policy; only a policy's
explicit ``critical_grace_hours`` allows it, for that long after the suspension."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from reputation.models import Reputation
from reputation.policies import InvalidPolicy, clean_rules, decide, policy_create


@pytest.fixture
def suspended(one_clause, observe, agent):
    observe(95)
    observe(10, trials=1000)  # the critical clause breached: suspended at once
    assert Reputation.objects.get(agent=agent).tier == "suspended"
    return agent


def test_a_policy_that_asks_nothing_of_the_tier_still_denies_a_suspended_agent(suspended, buyer) -> None:
    policy = policy_create(
        user=buyer, organization=buyer.organization, name="Levels only", rules={"consequence_levels": ["high"]}
    )
    decided = decide(user=buyer, slug=suspended.slug, policy_id=policy.pk).evaluated
    assert decided.result == "deny"
    [condition] = [c for c in decided.conditions if c["condition"] == "not_suspended"]
    assert condition["passed"] is False and "suspended" in decided.reasons[0]


def test_an_explicit_grace_allows_for_its_hours_only(suspended, buyer) -> None:
    policy = policy_create(
        user=buyer,
        organization=buyer.organization,
        name="Grace",
        rules={"consequence_levels": ["high"], "critical_grace_hours": 2},
    )
    assert decide(user=buyer, slug=suspended.slug, policy_id=policy.pk).evaluated.result == "allow"
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        assert decide(user=buyer, slug=suspended.slug, policy_id=policy.pk).evaluated.result == "deny"


@pytest.mark.parametrize("bad", [-1, 169, 1.5, "2", True])
def test_the_grace_is_a_whole_number_of_hours_up_to_a_week(bad) -> None:
    with pytest.raises(InvalidPolicy) as refused:
        clean_rules({"critical_grace_hours": bad, "min_tier": "standard"})
    assert refused.value.field == "critical_grace_hours"
