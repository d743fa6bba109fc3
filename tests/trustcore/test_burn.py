"""Burn-rate early warnings (trustcore.burn): the workbook's thresholds at 30 days, scaling to other windows,
both windows required, the minimum-volume guard, and monotonicity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustcore import burn
from trustcore.burn import FAST, SLOW, Counts, alerts

H, M = timedelta(hours=1), timedelta(minutes=1)


def windows(rate_long: float, rate_short: float, trials: int = 1000, short_trials: int = 1000, *, slow=None):
    """Error rates for the fast rule's windows (and, if given, the slow rule's)."""
    slow_long, slow_short = slow if slow else (0.0, 0.0)
    return {
        H: Counts(round(trials * (1 - rate_long)), trials),
        5 * M: Counts(round(short_trials * (1 - rate_short)), short_trials),
        6 * H: Counts(round(trials * 6 * (1 - slow_long)), trials * 6),
        30 * M: Counts(round(short_trials * 6 * (1 - slow_short)), short_trials * 6),
    }


def test_the_workbooks_thresholds_at_thirty_days() -> None:
    assert FAST.threshold(30) == pytest.approx(14.4)
    assert SLOW.threshold(30) == pytest.approx(6.0)


def test_thresholds_scale_with_the_clauses_window() -> None:
    assert FAST.threshold(7) == pytest.approx(14.4 * 7 / 30)
    assert SLOW.threshold(90) == pytest.approx(18.0)


@pytest.mark.parametrize(
    ("rate_long", "rate_short", "fires"),
    [
        (0.144, 0.144, True),  # exactly at 14.4 × a 1 % budget: fires (≥)
        (0.143, 0.5, False),  # the long window just below
        (0.5, 0.143, False),  # the short window just below: the burn has stopped, no warning
        (0.2, 0.2, True),
    ],
)
def test_the_fast_rule_at_its_edges(rate_long: float, rate_short: float, fires: bool) -> None:
    fired = alerts(comparator=">=", threshold=0.99, window_days=30, windows=windows(rate_long, rate_short))
    assert ("fast" in [a.rule for a in fired]) is fires


def test_the_slow_rule_needs_both_of_its_windows() -> None:
    quiet = (0.0, 0.0)
    assert [
        a.rule
        for a in alerts(comparator=">=", threshold=0.99, window_days=30, windows=windows(*quiet, slow=(0.06, 0.06)))
    ] == ["slow"]
    assert alerts(comparator=">=", threshold=0.99, window_days=30, windows=windows(*quiet, slow=(0.06, 0.05))) == []


def test_error_like_rates_burn_when_they_rise() -> None:
    # "false alarms ≤ 5 %": the budget is 5 %; 80 % false alarms burns 16× (≥ 14.4).
    fired = alerts(
        comparator="<=",
        threshold=0.05,
        window_days=30,
        windows={
            H: Counts(80, 100),
            5 * M: Counts(9, 10),
            6 * H: Counts(80, 600),
            30 * M: Counts(9, 60),
        },
    )
    assert [a.rule for a in fired] == ["fast"]


def test_the_minimum_volume_guard() -> None:
    few = {H: Counts(0, burn.MIN_LONG_TRIALS - 1), 5 * M: Counts(0, 10), 6 * H: Counts(0, 19), 30 * M: Counts(0, 10)}
    assert alerts(comparator=">=", threshold=0.99, window_days=30, windows=few) == []
    enough = {**few, H: Counts(0, burn.MIN_LONG_TRIALS)}
    assert [a.rule for a in alerts(comparator=">=", threshold=0.99, window_days=30, windows=enough)] == ["fast"]


def test_equality_clauses_never_warn() -> None:
    assert alerts(comparator="==", threshold=1.0, window_days=30, windows=windows(1.0, 1.0)) == []


@given(
    failures=st.integers(0, 1000),
    extra=st.integers(0, 1000),
    short_failures=st.integers(0, 100),
    threshold=st.floats(0.5, 0.999),
    window=st.integers(1, 365),
)
def test_more_failures_never_silence_a_warning(failures, extra, short_failures, threshold, window) -> None:
    def fired(long_failures: int) -> set[str]:
        counts = {
            H: Counts(2000 - long_failures, 2000),
            5 * M: Counts(100 - short_failures, 100),
            6 * H: Counts(2000 - long_failures, 2000),
            30 * M: Counts(100 - short_failures, 100),
        }
        return {a.rule for a in alerts(comparator=">=", threshold=threshold, window_days=window, windows=counts)}

    assert fired(failures) <= fired(min(2000, failures + extra))
