"""The four metrics on a constructed history with known answers (pure functions over rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents import metrics

T0 = datetime(2026, 6, 1, tzinfo=UTC)
H, D = 3600, 86400


def row(
    id: int,
    *,
    day: float,
    lead: float | None = None,
    agent: int = 1,
    vendor: int = 10,
    status: str = "closed",
    assumption: bool = True,
    weakness: str = "",
    changed: bool = False,
    claimed: bool = False,
    postmortem: bool = True,
) -> dict:
    visible = T0 + timedelta(days=day)
    return {
        "id": id,
        "agent": agent,
        "vendor": vendor,
        "visible_at": visible,
        "signal_at": visible - timedelta(seconds=lead) if lead is not None else None,
        "status": status,
        "has_postmortem": postmortem,
        "broken_assumption": assumption,
        "weakness": weakness,
        "changed_operating_model": changed,
        "claimed_change": claimed or changed,
    }


HISTORY = [
    row(1, day=0, lead=1 * H, weakness="stale_evidence", changed=True),
    row(2, day=10, lead=2 * D, weakness="stale_evidence", claimed=True),  # repeat of 1 (same agent, 10 d)
    row(3, day=20, lead=4 * D, agent=2, weakness="stale_evidence"),  # same vendor, other agent
    row(4, day=30, lead=10 * D, agent=3, vendor=20, weakness="weak_ownership", status="analysing", assumption=False),
    row(5, day=200, lead=None, weakness="stale_evidence", status="open", assumption=False, postmortem=False),  # 190 d
]


def test_percentile_interpolates_between_closest_ranks() -> None:
    assert metrics.percentile([1, 2, 3, 4], 50) == 2.5
    assert metrics.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    assert metrics.percentile([7], 90) == 7
    assert metrics.percentile([], 50) is None


def test_time_to_visible_failure_median_p90_and_buckets() -> None:
    body = metrics.compute(HISTORY)["time_to_visible_failure"]
    # leads: 1 h, 2 d, 4 d, 10 d (incident 5 has no signal)
    assert body["count"] == 4
    assert body["median_seconds"] == 3 * D
    assert body["p90_seconds"] == pytest.approx(4 * D + 0.7 * 6 * D)
    counts = {b["label"]: b["count"] for b in body["distribution"]}
    assert counts == {
        "under 1 h": 0,
        "1–6 h": 1,
        "6–24 h": 0,
        "1–3 days": 1,
        "3–7 days": 1,
        "7–14 days": 1,
        "14–30 days": 0,
        "30 days or more": 0,
    }


def test_broken_assumption_share_counts_every_incident() -> None:
    assert metrics.compute(HISTORY)["broken_assumption_share"] == 3 / 5


def test_repeat_rate_by_agent_within_the_window() -> None:
    body = metrics.compute(HISTORY, by="agent", window_days=90)
    # with a weakness: 1, 2, 3, 4, 5; repeats: 2 (1 ten days earlier on agent 1). 5 is 190 days after 2: too late.
    assert body["repeat_weakness"]["repeated_incidents"] == [2]
    assert body["repeat_weakness_rate"] == 1 / 5


def test_repeat_rate_by_vendor_counts_another_agent_of_the_vendor() -> None:
    body = metrics.compute(HISTORY, by="vendor", window_days=90)
    assert body["repeat_weakness"]["repeated_incidents"] == [2, 3]
    assert body["repeat_weakness_rate"] == 2 / 5
    wider = metrics.compute(HISTORY, by="agent", window_days=365)
    assert wider["repeat_weakness"]["repeated_incidents"] == [2, 5]


def test_repeats_look_before_the_period() -> None:
    start = T0 + timedelta(days=5)
    body = metrics.compute(HISTORY, start=start, end=T0 + timedelta(days=100))
    assert body["incidents"] == 3  # 2, 3, 4
    assert body["repeat_weakness"]["repeated_incidents"] == [2]  # its predecessor (1) lies before the period


def test_operating_model_share_counts_closed_postmortems_with_a_linked_change() -> None:
    body = metrics.compute(HISTORY)
    # closed with a postmortem: 1, 2, 3; linked change: 1 only; 2 claimed one without a link (story only)
    assert body["postmortems_closed"] == 3
    assert body["operating_model_change_share"] == 1 / 3
    assert body["claimed_change_share"] == 2 / 3


def test_empty_history_has_no_shares() -> None:
    body = metrics.compute([])
    assert body["incidents"] == 0
    assert body["broken_assumption_share"] is None
    assert body["repeat_weakness_rate"] is None
    assert body["operating_model_change_share"] is None
    assert body["time_to_visible_failure"]["median_seconds"] is None
