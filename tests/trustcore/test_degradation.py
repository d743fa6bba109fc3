"""Trust after degradation (trustcore.degradation): the system's own tiers never trust a failing critical clause
(0 s over any generated history), while a policy that allows during a failure shows exactly that time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from trustcore import degradation
from trustcore import score as core

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_tier_held_during_a_breach_is_counted() -> None:
    found = degradation.intervals(
        failing=[(T0 + timedelta(hours=2), T0 + timedelta(hours=5), "resolution-rate")],
        tiers=[(T0, "standard"), (T0 + timedelta(hours=3), "suspended")],
        now=T0 + timedelta(hours=10),
    )
    assert [(i.held, i.seconds) for i in found] == [("standard", 3600.0)]


def test_an_allowing_policy_shows_its_time_until_it_denies() -> None:
    found = degradation.intervals(
        failing=[(T0, None, "resolution-rate")],
        tiers=[(T0, "suspended")],
        decisions=[(T0 + timedelta(hours=1), 7, True), (T0 + timedelta(hours=4), 7, False), (T0, 8, False)],
        now=T0 + timedelta(hours=6),
    )
    assert [(i.held, i.policy, i.seconds) for i in found] == [("allow", 7, 3 * 3600.0)]
    assert degradation.total_seconds(found) == 3 * 3600.0


def test_overlaps_count_once() -> None:
    a = degradation.Interval(T0, T0 + timedelta(hours=2), "standard", "x")
    b = degradation.Interval(T0 + timedelta(hours=1), T0 + timedelta(hours=3), "allow", "x", 1)
    assert degradation.total_seconds([a, b]) == 3 * 3600.0


STATUS = st.sampled_from(["met", "breached", "stale", "insufficient_evidence"])


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(1, 72 * 60), STATUS, st.floats(0, 100)), min_size=1, max_size=40),
    start_tier=st.sampled_from(["unverified", "probation", "standard", "trusted"]),
)
def test_the_systems_own_tiers_never_trust_a_failing_critical_clause(steps, start_tier) -> None:
    """Play a critical clause's verdict history through the tier rules the portal applies at each verdict
    (``target_tier`` then ``next_tier``, in the verdict's transaction): the report finds 0 s."""
    at = T0
    state = core.TierState(start_tier)
    tiers = [(T0, start_tier)]
    failing: list[tuple[datetime, datetime | None, str]] = []
    failing_since: datetime | None = None
    for minutes, status, bound in steps:
        at += timedelta(minutes=minutes)
        fails = status in ("breached", "stale")
        if fails and failing_since is None:
            failing_since = at
        if not fails and failing_since is not None:
            failing.append((failing_since, at, "critical-clause"))
            failing_since = None
        standing = core.Standing(
            has_pact=True, has_verdicts=True, failing_critical=("critical-clause",) if fails else ()
        )
        target, why = core.target_tier(standing, bound)
        state, _ = core.next_tier(state, target, why, at)
        if state.tier != tiers[-1][1]:
            tiers.append((at, state.tier))
    if failing_since is not None:
        failing.append((failing_since, None, "critical-clause"))
    found = degradation.intervals(failing=failing, tiers=tiers, now=at + timedelta(days=1))
    assert degradation.total_seconds(found) == 0.0


def test_an_allow_inside_a_policys_grace_is_marked_and_past_it_is_not() -> None:
    found = degradation.intervals(
        failing=[(T0, None, "resolution-rate")],
        tiers=[(T0, "suspended")],
        decisions=[(T0, 7, True), (T0 + timedelta(hours=5), 7, False)],
        grace={7: 2 * 3600.0},
        now=T0 + timedelta(hours=6),
    )
    assert [(i.within_grace, i.seconds) for i in found] == [(True, 2 * 3600.0), (False, 3 * 3600.0)]
