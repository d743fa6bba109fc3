"""The trust score (trustcore.score): a Beta posterior over decayed pact-days, its conservative bound, and the
tier rules with their hysteresis. Property-based where the claim is general."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcore import score as core
from trustcore.score import Interval, Standing, TierState

NOW = datetime(2026, 12, 1, tzinfo=UTC)
STATUSES = ("met", "breached", "stale", "insufficient_evidence")


def day(n: float) -> datetime:
    return NOW - timedelta(days=n)


intervals = st.lists(
    st.builds(
        lambda start, length, status, share: Interval(day(start), day(max(0.0, start - length)), status, share),
        st.floats(0.0, 200.0),
        st.floats(0.0, 60.0),
        st.sampled_from(STATUSES),
        st.sampled_from([1.0, 0.5, 4 / 7, 2 / 7, 1 / 7]),
    ),
    max_size=12,
)


@pytest.mark.parametrize(("a", "b"), [(1, 1), (6, 1), (15, 1), (1, 3), (2.5, 7.25), (44.8, 3.3)])
def test_beta_quantile_inverts_the_cdf(a, b) -> None:
    x = core.beta_quantile(0.05, a, b)
    assert core.beta_cdf(x, a, b) == pytest.approx(0.05, abs=1e-9)
    if b == 1:
        assert x == pytest.approx(0.05 ** (1 / a), abs=1e-9)  # Beta(a, 1): x^a


def test_decayed_days_halves_every_half_life() -> None:
    recent = core.decayed_days(day(1), day(0), NOW, 30)
    old = core.decayed_days(day(31), day(30), NOW, 30)
    assert old == pytest.approx(recent / 2, rel=1e-9)
    assert core.decayed_days(day(0), day(-5), NOW, 30) == 0.0  # the future does not count
    assert core.decayed_days(day(10), day(0), NOW, 1e9) == pytest.approx(10, rel=1e-6)


@settings(max_examples=200, deadline=None)
@given(history=intervals, start=st.floats(0.0, 100.0), length=st.floats(0.01, 30.0))
def test_adding_a_met_verdict_never_lowers_the_score_or_the_bound(history, start, length) -> None:
    before = core.compute(history, NOW)
    after = core.compute([*history, Interval(day(start), day(max(0.0, start - length)), "met", 1.0)], NOW)
    assert after.score >= before.score - 1e-9
    assert after.lower_bound >= before.lower_bound - 1e-9


@settings(max_examples=200, deadline=None)
@given(history=intervals)
def test_the_bound_is_never_above_the_mean(history) -> None:
    result = core.compute(history, NOW)
    assert 0.0 <= result.lower_bound <= result.score <= 100.0


@settings(max_examples=200, deadline=None)
@given(days_met=st.floats(0.0, 5.0), clauses=st.integers(1, 5))
def test_five_days_or_less_of_perfect_evidence_keep_the_tier_at_probation(days_met, clauses) -> None:
    history = [Interval(day(days_met), NOW, "met", 1 / clauses) for _ in range(clauses)]
    result = core.compute(history, NOW)
    assert result.observations <= 5.0 + 1e-9
    target, _ = core.target_tier(Standing(has_pact=True, has_verdicts=True), result.lower_bound)
    assert core.rank(target) <= core.rank("probation")


def test_months_of_met_evidence_reach_trusted_and_a_breach_costs() -> None:
    steady = [Interval(day(90), NOW, "met", 1.0)]
    good = core.compute(steady, NOW)
    assert core.bound_tier(good.lower_bound) == "trusted"
    breached = core.compute([Interval(day(90), day(5), "met", 1.0), Interval(day(5), NOW, "breached", 1.0)], NOW)
    assert breached.score < good.score and breached.lower_bound < good.lower_bound


def test_a_stale_pact_and_a_penalty_count_against() -> None:
    base = [Interval(day(60), NOW, "met", 1.0)]
    plain = core.compute(base, NOW)
    assert core.compute(base, NOW, stale_pact=[(day(10), NOW)]).score < plain.score
    assert core.compute(base, NOW, penalties=[core.Penalty(day(1), 5.0)]).score < plain.score


@settings(max_examples=100, deadline=None)
@given(history=intervals)
def test_inputs_as_json_recompute_the_same_score(history) -> None:
    iso = lambda moment: moment.isoformat().replace("+00:00", "Z")  # noqa: E731
    inputs = {
        "algorithm": core.ALGORITHM,
        "now": iso(NOW),
        "half_life_days": 30,
        "intervals": [[iso(i.start), iso(i.end), i.status, i.share, 7] for i in history],
        "stale_pact": [],
        "penalties": [],
    }
    assert core.compute_from_inputs(inputs) == core.compute(history, NOW)


def test_inputs_of_another_algorithm_are_refused() -> None:
    with pytest.raises(ValueError, match="score/9"):
        core.compute_from_inputs({"algorithm": "trust-portal-score/9"})


@pytest.mark.parametrize(
    ("standing", "bound", "tier"),
    [
        (Standing(has_pact=False, has_verdicts=False), 99, "unverified"),
        (Standing(has_pact=True, has_verdicts=False), 99, "unverified"),
        (Standing(has_pact=True, has_verdicts=True, failing_critical=("policy",)), 99, "suspended"),
        (Standing(has_pact=True, has_verdicts=True, pact_stale=True), 99, "probation"),
        (Standing(has_pact=True, has_verdicts=True, capped_by_ruling=True), 99, "probation"),
        (Standing(has_pact=True, has_verdicts=True), 90, "trusted"),
        (Standing(has_pact=True, has_verdicts=True), 70, "standard"),
        (Standing(has_pact=True, has_verdicts=True), 40, "probation"),
    ],
)
def test_target_tier_entry_rules(standing, bound, tier) -> None:
    assert core.target_tier(standing, bound)[0] == tier


def test_a_downgrade_is_immediate() -> None:
    state, reason = core.next_tier(TierState("trusted"), "suspended", "critical clause x breached or stale", NOW)
    assert state.tier == "suspended" and "critical" in (reason or "")
    state, _ = core.next_tier(TierState("trusted", "trusted", day(3)), "standard", "bound", NOW)
    assert state == TierState("standard")


def test_an_upgrade_needs_the_sustained_period() -> None:
    state, reason = core.next_tier(TierState("probation"), "standard", "bound", day(14))
    assert state == TierState("probation", "standard", day(14)) and reason is None
    state, reason = core.next_tier(state, "trusted", "bound", day(1))  # higher still: the lower level is what held
    assert state == TierState("probation", "standard", day(14)) and reason is None
    state, reason = core.next_tier(state, "trusted", "bound", NOW)
    assert state.tier == "standard" and "sustained 14 days" in (reason or "")
    assert state.pending_tier == "trusted" and state.pending_since == NOW  # trusted's own period starts now


def test_a_dip_restarts_the_sustained_period() -> None:
    state, _ = core.next_tier(TierState("probation"), "standard", "bound", day(10))
    state, _ = core.next_tier(state, "probation", "bound", day(5))
    assert state == TierState("probation")
    state, _ = core.next_tier(state, "standard", "bound", day(4))
    state, _ = core.next_tier(state, "standard", "bound", NOW)
    assert state.tier == "probation"


def test_first_verdicts_enter_probation_and_suspension_lifts_to_probation() -> None:
    state, reason = core.next_tier(TierState("unverified"), "trusted", "bound", NOW)
    assert state == TierState("probation", "trusted", NOW) and "first verdicts" in (reason or "")
    state, reason = core.next_tier(TierState("suspended"), "standard", "bound", NOW)
    assert state.tier == "probation" and "no critical clause" in (reason or "")
    state, _ = core.next_tier(TierState("suspended"), "unverified", "no pact in force", NOW)
    assert state.tier == "unverified"


@settings(max_examples=200, deadline=None)
@given(
    tiers=st.lists(st.sampled_from(core.TIERS), min_size=1, max_size=30),
    gaps=st.lists(st.floats(0.0, 10.0), min_size=30, max_size=30),
)
def test_the_tier_never_exceeds_what_the_evidence_supports(tiers, gaps) -> None:
    """Whatever the sequence of targets: a lower one applies at once, and the tier is never above the target
    except for the probation every verdicted agent starts at."""
    state, moment = TierState("unverified"), day(300)
    for target, gap in zip(tiers, gaps, strict=False):
        moment += timedelta(days=gap)
        previous = state.tier
        state, _ = core.next_tier(state, target, "r", moment)
        if core.rank(target) < core.rank(previous):
            assert state.tier == target
        assert core.rank(state.tier) <= max(core.rank(target), core.rank("probation"))
