"""The evaluator (trustcore.evaluator): every aggregation and comparator, window and freshness edges to the second,
min_samples edges, pre-registration, and incremental == from scratch (Hypothesis)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcore.evaluator import (
    BREACHED,
    DAY,
    INSUFFICIENT,
    MET,
    STALE,
    ClauseSpec,
    Observation,
    buckets_from_observations,
    evaluate,
    evaluate_parts,
    measure,
    parts_for,
)
from trustcore.sketch import ALPHA

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def clause(**overrides) -> ClauseSpec:
    base = dict(
        clause_id="c",
        metric="m",
        aggregation="mean",
        comparator=">=",
        threshold=0.5,
        window_days=30,
        min_samples=1,
        max_evidence_age_days=7,
        evidence_kinds=("telemetry", "eval_run"),
    )
    base.update(overrides)
    return ClauseSpec(**base)


def obs(i=1, *, age=timedelta(days=1), kind="telemetry", **shape) -> Observation:
    if not shape:
        shape = {"value": 1.0}
    return Observation(id=i, kind=kind, metric="m", observed_to=NOW - age, **shape)


# --- aggregations × comparators -----------------------------------------------------------------------------

VALUES = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0]  # sorted: 1 1 2 3 3 4 5 5 6 9


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("mean", 3.9), ("min", 1.0), ("max", 9.0), ("count", 10.0), ("p50", 3.0), ("p95", 9.0), ("p99", 9.0)],
)
def test_numeric_aggregations(aggregation, expected) -> None:
    verdict = evaluate(clause(aggregation=aggregation, threshold=0), [obs(values=tuple(VALUES))], NOW)
    assert verdict.measured == pytest.approx(expected)


def test_rate_and_mean_over_counts() -> None:
    records = [obs(1, successes=57, trials=60), obs(2, successes=40, trials=40)]
    assert evaluate(clause(aggregation="rate", threshold=0), records, NOW).measured == pytest.approx(97 / 100)
    assert evaluate(clause(aggregation="mean", threshold=0), records, NOW).measured == pytest.approx(97 / 100)
    assert evaluate(clause(aggregation="count", threshold=0), records, NOW).samples == 100


@pytest.mark.parametrize(
    ("comparator", "threshold", "status"),
    [
        (">=", 3.9, MET),
        (">=", 3.91, BREACHED),
        (">", 3.9, BREACHED),
        (">", 3.89, MET),
        ("<=", 3.9, MET),
        ("<=", 3.89, BREACHED),
        ("<", 3.9, BREACHED),
        ("<", 3.91, MET),
        ("==", 3.9, MET),
        ("==", 3.8, BREACHED),
    ],
)
def test_comparators_at_and_around_the_threshold(comparator, threshold, status) -> None:
    verdict = evaluate(clause(comparator=comparator, threshold=threshold), [obs(values=tuple(VALUES))], NOW)
    assert verdict.status == status


@pytest.mark.parametrize("aggregation", ["mean", "rate", "p50", "p95", "p99", "min", "max", "count"])
@pytest.mark.parametrize("comparator", ["<=", "<", ">=", ">", "=="])
def test_every_aggregation_with_every_comparator_decides(aggregation, comparator) -> None:
    shape = {"successes": 9, "trials": 10} if aggregation == "rate" else {"values": (0.2, 0.4, 0.9)}
    verdict = evaluate(clause(aggregation=aggregation, comparator=comparator, threshold=0.5), [obs(**shape)], NOW)
    assert verdict.status in (MET, BREACHED)
    from trustcore.evaluator import compare

    assert (verdict.status == MET) == compare(verdict.measured, comparator, 0.5)


# --- window and freshness to the second -------------------------------------------------------------------------


def test_freshness_boundary_to_the_second() -> None:
    c = clause(max_evidence_age_days=7)
    exactly = obs(age=timedelta(days=7))
    just_over = obs(age=timedelta(days=7, seconds=1))
    assert evaluate(c, [exactly], NOW).status == MET
    verdict = evaluate(c, [just_over], NOW)
    assert verdict.status == STALE
    assert "stale" in verdict.refused[0][1]


def test_window_boundary_to_the_second() -> None:
    c = clause(window_days=7, max_evidence_age_days=7)
    assert evaluate(c, [obs(age=timedelta(days=7))], NOW).status == MET
    outside = evaluate(c, [obs(age=timedelta(days=7, seconds=1))], NOW)
    assert outside.status == STALE
    assert outside.refused == []  # outside the window: not even considered


def test_evidence_ages_out_with_the_clock() -> None:
    c = clause(max_evidence_age_days=2)
    record = obs(age=timedelta(days=1))
    assert evaluate(c, [record], NOW).status == MET
    with time_machine.travel(NOW + timedelta(days=1, seconds=1)):
        later = datetime.now(UTC)
    assert evaluate(c, [record], later).status == STALE


def test_no_evidence_is_stale_never_met() -> None:
    verdict = evaluate(clause(comparator="<=", threshold=100), [], NOW)
    assert verdict.status == STALE
    assert verdict.measured is None


# --- min_samples ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("trials", "status"), [(199, INSUFFICIENT), (200, MET), (201, MET)])
def test_min_samples_edges(trials, status) -> None:
    verdict = evaluate(
        clause(aggregation="rate", min_samples=200, threshold=0.9), [obs(successes=trials, trials=trials)], NOW
    )
    assert verdict.status == status
    assert verdict.samples == trials


# --- refusals -----------------------------------------------------------------------------------------------------------

PREREG = dict(
    prereg_task="refund_policy_eval", prereg_task_version="1", prereg_dataset_hash="ab" * 32, prereg_scorer="match"
)
MATCHING = dict(task="refund_policy_eval", task_version="1", dataset_hash="ab" * 32, scorer="match")


@pytest.mark.parametrize(
    ("mismatch", "reason"),
    [
        ({"task": "other_eval"}, "the task differs from refund_policy_eval"),
        ({"task_version": "2"}, "the task version differs from 1"),
        ({"dataset_hash": "cd" * 32}, "dataset"),
        ({"scorer": "model_graded"}, "the scorer differs from match"),
        ({"task": ""}, "the task differs"),
    ],
)
def test_pre_registration_mismatches_are_refused_with_the_reason(mismatch, reason) -> None:
    c = clause(**PREREG)
    good = obs(1, kind="eval_run", value=0.9, **MATCHING)
    bad = obs(2, kind="eval_run", value=0.1, **{**MATCHING, **mismatch})
    verdict = evaluate(c, [good, bad], NOW)
    assert verdict.used == [1]
    assert verdict.measured == 0.9
    assert verdict.refused[0][0] == 2 and reason in verdict.refused[0][1]


def test_only_mismatching_evidence_is_stale_not_met() -> None:
    verdict = evaluate(clause(**PREREG), [obs(kind="eval_run", value=0.9)], NOW)
    assert verdict.status == STALE
    assert "pre-registered" in verdict.refused[0][1]


def test_wrong_kind_and_wrong_shape_are_refused() -> None:
    c = clause(aggregation="rate", evidence_kinds=("eval_run",))
    verdict = evaluate(c, [obs(1, kind="telemetry", successes=1, trials=1), obs(2, kind="eval_run", value=0.9)], NOW)
    reasons = dict(verdict.refused)
    assert "its kind is not one the clause accepts (eval_run)" in reasons[1]
    assert "telemetry" not in reasons[1]  # reasons never quote the refused record (it may be restricted)
    assert "needs successes and trials" in reasons[2]
    p95 = evaluate(clause(aggregation="p95"), [obs(3, successes=1, trials=2)], NOW)
    assert "needs measured values" in p95.refused[0][1]


def test_signed_evidence_requirement() -> None:
    c = clause(requires_signed_evidence=True)
    assert evaluate(c, [obs(1)], NOW).status == STALE
    signed = Observation(
        id=2, kind="telemetry", metric="m", observed_to=NOW - timedelta(hours=1), value=1.0, signed=True
    )
    assert evaluate(c, [signed], NOW).status == MET


# --- incremental == from scratch -----------------------------------------------------------------------------------------

shapes = st.one_of(
    st.builds(lambda v: {"value": v}, st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)),
    st.builds(
        lambda vs: {"values": tuple(vs)}, st.lists(st.floats(min_value=0.001, max_value=1e5), min_size=1, max_size=20)
    ),
    st.builds(lambda s, f: {"successes": s, "trials": s + f}, st.integers(0, 500), st.integers(0, 500)).filter(
        lambda d: d["trials"] > 0
    ),
)
observations = st.lists(
    st.builds(
        lambda age, kind, shape: (age, kind, shape),
        st.integers(min_value=0, max_value=40 * 86400),
        st.sampled_from(["telemetry", "eval_run", "attestation"]),
        shapes,
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    raw=observations,
    aggregation=st.sampled_from(["mean", "rate", "p50", "p95", "p99", "min", "max", "count"]),
    window_days=st.integers(1, 30),
    age_days=st.integers(1, 30),
    now_offset=st.integers(0, 86399),
)
def test_incremental_equals_from_scratch(raw, aggregation, window_days, age_days, now_offset) -> None:
    now = NOW + timedelta(seconds=now_offset)
    c = clause(
        aggregation=aggregation,
        window_days=window_days,
        max_evidence_age_days=min(age_days, window_days),
        threshold=0.5,
        comparator=">=",
        min_samples=1,
    )
    records = [
        Observation(id=i, kind=kind, metric="m", observed_to=now - timedelta(seconds=age), **shape)
        for i, (age, kind, shape) in enumerate(raw)
    ]
    scratch = evaluate(c, records, now)
    parts = parts_for(
        c,
        now,
        day_buckets=buckets_from_observations(records, DAY),
        hour_buckets=buckets_from_observations(records),
        edge_observations=records,
    )
    incremental = evaluate_parts(c, parts, now, exact=False)
    assert incremental.status == scratch.status or (
        aggregation in ("p50", "p95", "p99")
        and scratch.measured is not None
        and math.isclose(scratch.measured, 0.5, rel_tol=2 * ALPHA, abs_tol=1e-9)
    )
    assert incremental.samples == scratch.samples
    assert incremental.used_records == len(scratch.used)
    if scratch.measured is None:
        assert incremental.measured is None
    elif aggregation in ("p50", "p95", "p99"):
        assert abs(incremental.measured - scratch.measured) <= ALPHA * abs(scratch.measured) + 1e-9
    else:
        assert incremental.measured == pytest.approx(scratch.measured, rel=1e-12, abs=1e-12)


def test_measure_of_nothing_is_none() -> None:
    from trustcore.evaluator import Aggregate

    assert measure("mean", Aggregate()) is None
