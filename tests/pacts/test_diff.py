"""Clause-by-clause diff of pact documents: every rule, in both directions where it has one."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from pacts.demo_documents import CODE_REVIEW, REFUNDS_V1, SCHEDULER, refunds_v2, refunds_v3_loosened
from pacts.diff import (
    ADDED,
    CHANGED,
    CLAUSE_RULES,
    DOCUMENT_RULES,
    LOOSENED,
    NEUTRAL,
    REMOVED,
    TIGHTENED,
    UNCHANGED,
    diff_documents,
)
from pacts.documents import validate

Doc = dict[str, Any]
Mutation = Callable[[Doc], None]

RESOLUTION, LATENCY, POLICY = "resolution-rate", "latency-p95", "policy-accuracy"
INDEX = {RESOLUTION: 0, LATENCY: 1, POLICY: 2}

# Clause fields whose rule is neutral whatever the change: one direction is all there is.
NEUTRAL_ONLY = {
    "prereg_task_version",
    "prereg_dataset_hash",
    "prereg_scorer",
    "prereg_decision_rule",
    "metric",
    "metric_kind",
    "unit",
    "title",
}


def _walk(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def put(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutation(document: Doc) -> None:
        _walk(document, path[:-1])[path[-1]] = copy.deepcopy(value)

    return mutation


def drop(path: tuple[Any, ...]) -> Mutation:
    def mutation(document: Doc) -> None:
        del _walk(document, path[:-1])[path[-1]]

    return mutation


def both(*mutations: Mutation) -> Mutation:
    def mutation(document: Doc) -> None:
        for each in mutations:
            each(document)

    return mutation


def nothing(document: Doc) -> None:
    return None


def ob(clause_id: str, *rest: Any) -> tuple[Any, ...]:
    return ("obligations", INDEX[clause_id], *rest)


def built(*mutations: Mutation, base: Doc = REFUNDS_V1) -> Doc:
    document = copy.deepcopy(base)
    for mutation in mutations:
        mutation(document)
    return document


PREREG = {
    "task": "resolution_eval",
    "task_version": "2",
    "dataset_hash": "ab" * 32,
    "scorer": "exact",
}
CREDIT_10 = {"action": "service_credit", "percent": 10}


@dataclass(frozen=True)
class ClauseCase:
    name: str
    clause: str
    change: Mutation
    fields: dict[str, str]  # field -> expected direction
    direction: str  # expected clause direction
    base: Mutation = nothing  # applied to old and new alike

    def __str__(self) -> str:
        return self.name


CLAUSE_CASES = [
    # threshold
    ClauseCase(
        ">=-threshold-up", RESOLUTION, put(ob(RESOLUTION, "threshold"), 0.95), {"threshold": TIGHTENED}, TIGHTENED
    ),
    ClauseCase(
        ">=-threshold-down", RESOLUTION, put(ob(RESOLUTION, "threshold"), 0.9), {"threshold": LOOSENED}, LOOSENED
    ),
    ClauseCase("<=-threshold-up", LATENCY, put(ob(LATENCY, "threshold"), 2000), {"threshold": LOOSENED}, LOOSENED),
    ClauseCase("<=-threshold-down", LATENCY, put(ob(LATENCY, "threshold"), 1000), {"threshold": TIGHTENED}, TIGHTENED),
    ClauseCase(
        ">-threshold-up",
        RESOLUTION,
        put(ob(RESOLUTION, "threshold"), 0.95),
        {"threshold": TIGHTENED},
        TIGHTENED,
        base=put(ob(RESOLUTION, "comparator"), ">"),
    ),
    ClauseCase(
        "<-threshold-up",
        LATENCY,
        put(ob(LATENCY, "threshold"), 1600),
        {"threshold": LOOSENED},
        LOOSENED,
        base=put(ob(LATENCY, "comparator"), "<"),
    ),
    ClauseCase(
        "==-threshold-up",
        POLICY,
        put(ob(POLICY, "threshold"), 0.97),
        {"threshold": NEUTRAL},
        NEUTRAL,
        base=put(ob(POLICY, "comparator"), "=="),
    ),
    ClauseCase(
        "==-threshold-down",
        POLICY,
        put(ob(POLICY, "threshold"), 0.9),
        {"threshold": NEUTRAL},
        NEUTRAL,
        base=put(ob(POLICY, "comparator"), "=="),
    ),
    # comparator
    ClauseCase(">=-to->", RESOLUTION, put(ob(RESOLUTION, "comparator"), ">"), {"comparator": TIGHTENED}, TIGHTENED),
    ClauseCase(
        ">-to->=",
        RESOLUTION,
        put(ob(RESOLUTION, "comparator"), ">="),
        {"comparator": LOOSENED},
        LOOSENED,
        base=put(ob(RESOLUTION, "comparator"), ">"),
    ),
    ClauseCase("<=-to-<", LATENCY, put(ob(LATENCY, "comparator"), "<"), {"comparator": TIGHTENED}, TIGHTENED),
    ClauseCase(
        "<-to-<=",
        LATENCY,
        put(ob(LATENCY, "comparator"), "<="),
        {"comparator": LOOSENED},
        LOOSENED,
        base=put(ob(LATENCY, "comparator"), "<"),
    ),
    ClauseCase(">=-to-<=", RESOLUTION, put(ob(RESOLUTION, "comparator"), "<="), {"comparator": NEUTRAL}, NEUTRAL),
    ClauseCase(">=-to-==", POLICY, put(ob(POLICY, "comparator"), "=="), {"comparator": NEUTRAL}, NEUTRAL),
    ClauseCase(
        ">=-to-<=-and-threshold-moved",
        RESOLUTION,
        both(put(ob(RESOLUTION, "comparator"), "<="), put(ob(RESOLUTION, "threshold"), 0.05)),
        {"comparator": NEUTRAL, "threshold": NEUTRAL},
        NEUTRAL,
    ),
    ClauseCase(
        ">=-to->-and-threshold-down",
        RESOLUTION,
        both(put(ob(RESOLUTION, "comparator"), ">"), put(ob(RESOLUTION, "threshold"), 0.9)),
        {"comparator": TIGHTENED, "threshold": LOOSENED},
        LOOSENED,
    ),
    # aggregation
    ClauseCase(
        "p95-to-p99-under-<=", LATENCY, put(ob(LATENCY, "aggregation"), "p99"), {"aggregation": TIGHTENED}, TIGHTENED
    ),
    ClauseCase(
        "p99-to-p95-under-<=",
        LATENCY,
        put(ob(LATENCY, "aggregation"), "p95"),
        {"aggregation": LOOSENED},
        LOOSENED,
        base=put(ob(LATENCY, "aggregation"), "p99"),
    ),
    ClauseCase(
        "p95-to-p99-under->=",
        LATENCY,
        put(ob(LATENCY, "aggregation"), "p99"),
        {"aggregation": LOOSENED},
        LOOSENED,
        base=put(ob(LATENCY, "comparator"), ">="),
    ),
    ClauseCase(
        "p99-to-p95-under->=",
        LATENCY,
        put(ob(LATENCY, "aggregation"), "p95"),
        {"aggregation": TIGHTENED},
        TIGHTENED,
        base=both(put(ob(LATENCY, "comparator"), ">="), put(ob(LATENCY, "aggregation"), "p99")),
    ),
    ClauseCase(
        "p95-to-max-under-<",
        LATENCY,
        put(ob(LATENCY, "aggregation"), "max"),
        {"aggregation": TIGHTENED},
        TIGHTENED,
        base=put(ob(LATENCY, "comparator"), "<"),
    ),
    ClauseCase(
        "p50-to-min-under-<=",
        LATENCY,
        put(ob(LATENCY, "aggregation"), "min"),
        {"aggregation": LOOSENED},
        LOOSENED,
        base=put(ob(LATENCY, "aggregation"), "p50"),
    ),
    ClauseCase("mean-to-p95", POLICY, put(ob(POLICY, "aggregation"), "p95"), {"aggregation": NEUTRAL}, NEUTRAL),
    ClauseCase("p95-to-mean", LATENCY, put(ob(LATENCY, "aggregation"), "mean"), {"aggregation": NEUTRAL}, NEUTRAL),
    ClauseCase(
        "p95-to-p99-under-==",
        LATENCY,
        put(ob(LATENCY, "aggregation"), "p99"),
        {"aggregation": NEUTRAL},
        NEUTRAL,
        base=put(ob(LATENCY, "comparator"), "=="),
    ),
    # sample size and evidence age / window
    ClauseCase(
        "min-samples-up", RESOLUTION, put(ob(RESOLUTION, "min_samples"), 300), {"min_samples": TIGHTENED}, TIGHTENED
    ),
    ClauseCase(
        "min-samples-down", RESOLUTION, put(ob(RESOLUTION, "min_samples"), 100), {"min_samples": LOOSENED}, LOOSENED
    ),
    ClauseCase(
        "evidence-age-up",
        RESOLUTION,
        put(ob(RESOLUTION, "max_evidence_age_days"), 14),
        {"max_evidence_age_days": LOOSENED},
        LOOSENED,
    ),
    ClauseCase(
        "evidence-age-down",
        RESOLUTION,
        put(ob(RESOLUTION, "max_evidence_age_days"), 3),
        {"max_evidence_age_days": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase("window-up", RESOLUTION, put(ob(RESOLUTION, "window_days"), 60), {"window_days": LOOSENED}, LOOSENED),
    ClauseCase(
        "window-down", RESOLUTION, put(ob(RESOLUTION, "window_days"), 14), {"window_days": TIGHTENED}, TIGHTENED
    ),
    # severity
    ClauseCase("severity-up", LATENCY, put(ob(LATENCY, "severity"), "major"), {"severity": TIGHTENED}, TIGHTENED),
    ClauseCase(
        "severity-minor-to-critical",
        LATENCY,
        put(ob(LATENCY, "severity"), "critical"),
        {"severity": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase("severity-down", POLICY, put(ob(POLICY, "severity"), "major"), {"severity": LOOSENED}, LOOSENED),
    # evidence kinds
    ClauseCase(
        "evidence-kinds-subset",
        RESOLUTION,
        put(ob(RESOLUTION, "evidence_kinds"), ["eval_run"]),
        {"evidence_kinds": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase(
        "evidence-kinds-superset",
        RESOLUTION,
        put(ob(RESOLUTION, "evidence_kinds"), ["eval_run", "telemetry", "attestation"]),
        {"evidence_kinds": LOOSENED},
        LOOSENED,
    ),
    ClauseCase(
        "evidence-kinds-different",
        RESOLUTION,
        put(ob(RESOLUTION, "evidence_kinds"), ["eval_run", "attestation"]),
        {"evidence_kinds": NEUTRAL},
        NEUTRAL,
    ),
    ClauseCase(
        "evidence-kinds-disjoint",
        LATENCY,
        put(ob(LATENCY, "evidence_kinds"), ["incident_report"]),
        {"evidence_kinds": NEUTRAL},
        NEUTRAL,
    ),
    # signed evidence
    ClauseCase(
        "signed-on",
        RESOLUTION,
        put(ob(RESOLUTION, "requires_signed_evidence"), True),
        {"requires_signed_evidence": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase(
        "signed-off",
        RESOLUTION,
        put(ob(RESOLUTION, "requires_signed_evidence"), False),
        {"requires_signed_evidence": LOOSENED},
        LOOSENED,
        base=put(ob(RESOLUTION, "requires_signed_evidence"), True),
    ),
    ClauseCase(
        "signed-dropped",
        RESOLUTION,
        drop(ob(RESOLUTION, "requires_signed_evidence")),
        {"requires_signed_evidence": LOOSENED},
        LOOSENED,
        base=put(ob(RESOLUTION, "requires_signed_evidence"), True),
    ),
    # consequences
    ClauseCase(
        "on-breach-heavier",
        LATENCY,
        put(ob(LATENCY, "on_breach"), [{"action": "notify"}, {"action": "suspend"}]),
        {"on_breach": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase(
        "on-breach-more-credit",
        RESOLUTION,
        put(ob(RESOLUTION, "on_breach", 0, "percent"), 20),
        {"on_breach": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase(
        "on-breach-credit-added",
        LATENCY,
        put(ob(LATENCY, "on_breach"), [{"action": "notify"}, CREDIT_10]),
        {"on_breach": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase(
        "on-breach-lighter",
        RESOLUTION,
        put(ob(RESOLUTION, "on_breach"), [CREDIT_10]),
        {"on_breach": LOOSENED},
        LOOSENED,
    ),
    ClauseCase(
        "on-breach-less-credit",
        RESOLUTION,
        put(ob(RESOLUTION, "on_breach", 0, "percent"), 5),
        {"on_breach": LOOSENED},
        LOOSENED,
    ),
    ClauseCase("on-breach-emptied", LATENCY, put(ob(LATENCY, "on_breach"), []), {"on_breach": LOOSENED}, LOOSENED),
    ClauseCase(
        "on-breach-different",
        LATENCY,
        put(ob(LATENCY, "on_breach"), [{"action": "downgrade"}]),
        {"on_breach": NEUTRAL},
        NEUTRAL,
    ),
    ClauseCase(
        "on-breach-more-credit-fewer-actions",
        RESOLUTION,
        put(ob(RESOLUTION, "on_breach"), [{"action": "service_credit", "percent": 50}]),
        {"on_breach": NEUTRAL},
        NEUTRAL,
    ),
    ClauseCase(
        "on-stale-added",
        LATENCY,
        put(ob(LATENCY, "on_stale"), [{"action": "downgrade"}]),
        {"on_stale": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase("on-stale-removed", RESOLUTION, drop(ob(RESOLUTION, "on_stale")), {"on_stale": LOOSENED}, LOOSENED),
    ClauseCase(
        "on-stale-heavier",
        RESOLUTION,
        put(ob(RESOLUTION, "on_stale"), [{"action": "downgrade"}, {"action": "suspend"}]),
        {"on_stale": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase(
        "on-stale-different",
        RESOLUTION,
        put(ob(RESOLUTION, "on_stale"), [{"action": "suspend"}]),
        {"on_stale": NEUTRAL},
        NEUTRAL,
    ),
    # pre-registration
    ClauseCase(
        "prereg-added",
        RESOLUTION,
        put(ob(RESOLUTION, "preregistration"), PREREG),
        {"prereg_task": TIGHTENED},
        TIGHTENED,
    ),
    ClauseCase("prereg-removed", POLICY, drop(ob(POLICY, "preregistration")), {"prereg_task": LOOSENED}, LOOSENED),
    ClauseCase(
        "prereg-task-renamed",
        POLICY,
        put(ob(POLICY, "preregistration", "task"), "refund_policy_eval_v2"),
        {"prereg_task": NEUTRAL},
        NEUTRAL,
    ),
    ClauseCase(
        "prereg-scorer-changed",
        POLICY,
        put(ob(POLICY, "preregistration", "scorer"), "fuzzy"),
        {"prereg_scorer": NEUTRAL},
        NEUTRAL,
    ),
    ClauseCase(
        "prereg-task-version-changed",
        POLICY,
        put(ob(POLICY, "preregistration", "task_version"), "2"),
        {"prereg_task_version": NEUTRAL},
        NEUTRAL,
    ),
    ClauseCase(
        "prereg-dataset-changed",
        POLICY,
        put(ob(POLICY, "preregistration", "dataset_hash"), "sha256:" + "0" * 64),
        {"prereg_dataset_hash": NEUTRAL},
        NEUTRAL,
    ),
    ClauseCase(
        "prereg-decision-rule-changed",
        POLICY,
        put(ob(POLICY, "preregistration", "decision_rule"), "median"),
        {"prereg_decision_rule": NEUTRAL},
        NEUTRAL,
    ),
    # wording and naming
    ClauseCase("metric-renamed", LATENCY, put(ob(LATENCY, "metric"), "response_ms"), {"metric": NEUTRAL}, NEUTRAL),
    ClauseCase(
        "metric-kind-changed", POLICY, put(ob(POLICY, "metric_kind"), "binary"), {"metric_kind": NEUTRAL}, NEUTRAL
    ),
    ClauseCase("unit-changed", LATENCY, put(ob(LATENCY, "unit"), "milliseconds"), {"unit": NEUTRAL}, NEUTRAL),
    ClauseCase("unit-dropped", LATENCY, drop(ob(LATENCY, "unit")), {"unit": NEUTRAL}, NEUTRAL),
    ClauseCase("title-changed", LATENCY, put(ob(LATENCY, "title"), "Answers fast"), {"title": NEUTRAL}, NEUTRAL),
    # mixed
    ClauseCase(
        "tightened-and-loosened-is-loosened",
        RESOLUTION,
        both(put(ob(RESOLUTION, "threshold"), 0.97), put(ob(RESOLUTION, "window_days"), 60)),
        {"threshold": TIGHTENED, "window_days": LOOSENED},
        LOOSENED,
    ),
    ClauseCase(
        "tightened-and-neutral-is-tightened",
        LATENCY,
        both(put(ob(LATENCY, "threshold"), 1200), put(ob(LATENCY, "title"), "Answers fast")),
        {"threshold": TIGHTENED, "title": NEUTRAL},
        TIGHTENED,
    ),
]


@pytest.mark.parametrize("case", CLAUSE_CASES, ids=str)
def test_clause_change_is_classified(case: ClauseCase) -> None:
    old = built(case.base)
    new = built(case.base, case.change)
    assert validate(old) == []
    assert validate(new) == []

    result = diff_documents(old, new)

    by_id = {c.clause_id: c for c in result.clauses}
    assert set(by_id) == set(INDEX)
    clause = by_id[case.clause]
    assert clause.change == CHANGED
    assert {f.field: f.direction for f in clause.fields} == case.fields
    assert clause.direction == case.direction
    for change in clause.fields:
        assert change.reason
        assert change.old != change.new
    assert all(c.change == UNCHANGED for c in result.clauses if c.clause_id != case.clause)
    assert result.document == ()
    assert result.direction == case.direction
    assert [c.clause_id for c in result.loosened] == ([case.clause] if case.direction == LOOSENED else [])


@dataclass(frozen=True)
class DocumentCase:
    name: str
    change: Mutation
    fields: dict[str, str]
    base: Mutation = nothing

    def __str__(self) -> str:
        return self.name


DOCUMENT_CASES = [
    DocumentCase("review-every-up", put(("review_every_days",), 180), {"review_every_days": LOOSENED}),
    DocumentCase("review-every-down", put(("review_every_days",), 30), {"review_every_days": TIGHTENED}),
    DocumentCase("consequence-level-up", put(("consequence_level",), "critical"), {"consequence_level": TIGHTENED}),
    DocumentCase("consequence-level-down", put(("consequence_level",), "low"), {"consequence_level": LOOSENED}),
    DocumentCase(
        "response-days-up", put(("dispute_terms", "response_days"), 10), {"dispute_terms.response_days": LOOSENED}
    ),
    DocumentCase(
        "response-days-down", put(("dispute_terms", "response_days"), 2), {"dispute_terms.response_days": TIGHTENED}
    ),
    DocumentCase("review-days-up", put(("dispute_terms", "review_days"), 20), {"dispute_terms.review_days": LOOSENED}),
    DocumentCase(
        "review-days-down", put(("dispute_terms", "review_days"), 5), {"dispute_terms.review_days": TIGHTENED}
    ),
    DocumentCase("appeal-days-up", put(("dispute_terms", "appeal_days"), 14), {"dispute_terms.appeal_days": TIGHTENED}),
    DocumentCase("appeal-days-down", put(("dispute_terms", "appeal_days"), 0), {"dispute_terms.appeal_days": LOOSENED}),
    DocumentCase(
        "dispute-terms-removed",
        drop(("dispute_terms",)),
        {
            "dispute_terms.response_days": LOOSENED,
            "dispute_terms.review_days": LOOSENED,
            "dispute_terms.appeal_days": LOOSENED,
        },
    ),
    DocumentCase(
        "dispute-terms-added",
        put(("dispute_terms",), {"response_days": 5, "review_days": 10, "appeal_days": 7}),
        {
            "dispute_terms.response_days": TIGHTENED,
            "dispute_terms.review_days": TIGHTENED,
            "dispute_terms.appeal_days": TIGHTENED,
        },
        base=drop(("dispute_terms",)),
    ),
    DocumentCase("title-changed", put(("title",), "Support agent — refunds"), {"title": NEUTRAL}),
    DocumentCase("description-added", put(("description",), "What the agent owes."), {"description": NEUTRAL}),
    DocumentCase("scope-changed", put(("scope", "excludes"), []), {"scope": NEUTRAL}),
    DocumentCase(
        "looser-terms-and-stricter-level",
        both(put(("review_every_days",), 365), put(("consequence_level",), "critical")),
        {"review_every_days": LOOSENED, "consequence_level": TIGHTENED},
    ),
]


@pytest.mark.parametrize("case", DOCUMENT_CASES, ids=str)
def test_document_change_is_classified(case: DocumentCase) -> None:
    old = built(case.base)
    new = built(case.base, case.change)
    assert validate(old) == []
    assert validate(new) == []

    result = diff_documents(old, new)

    assert {f.field: f.direction for f in result.document} == case.fields
    assert all(c.change == UNCHANGED for c in result.clauses)
    assert result.loosened == []
    directions = set(case.fields.values())
    expected = LOOSENED if LOOSENED in directions else TIGHTENED if TIGHTENED in directions else NEUTRAL
    assert result.direction == expected


def test_tables_cover_every_rule_in_every_direction() -> None:
    seen: dict[str, set[str]] = {}
    for clause_case in CLAUSE_CASES:
        for name, direction in clause_case.fields.items():
            seen.setdefault(name, set()).add(direction)
    for document_case in DOCUMENT_CASES:
        for name, direction in document_case.fields.items():
            seen.setdefault(name, set()).add(direction)

    for name in CLAUSE_RULES:
        assert name in seen, f"no case for clause rule {name}"
        if name not in NEUTRAL_ONLY:
            assert {TIGHTENED, LOOSENED} <= seen[name], f"{name}: {seen[name]}"
    for name in DOCUMENT_RULES:
        assert {TIGHTENED, LOOSENED} <= seen.get(name, set()), f"document rule {name}: {seen.get(name)}"


# --- added, removed, unchanged ----------------------------------------------------------------


NEW_CLAUSE = {
    "id": "escalation-rate",
    "title": "Escalates what it cannot handle",
    "metric": "escalated",
    "aggregation": "rate",
    "comparator": "<=",
    "threshold": 0.1,
    "window_days": 30,
    "min_samples": 50,
    "max_evidence_age_days": 7,
    "severity": "minor",
    "evidence_kinds": ["telemetry"],
}


def _append_clause(document: Doc) -> None:
    document["obligations"].append(copy.deepcopy(NEW_CLAUSE))


def test_added_clause_is_tightened() -> None:
    new = built(_append_clause)
    assert validate(new) == []
    result = diff_documents(REFUNDS_V1, new)
    [added] = [c for c in result.clauses if c.change == ADDED]
    assert (added.clause_id, added.direction, added.title) == ("escalation-rate", TIGHTENED, NEW_CLAUSE["title"])
    assert added.fields == ()
    assert result.direction == TIGHTENED
    assert result.loosened == []
    assert [c.clause_id for c in result.changed] == ["escalation-rate"]


def test_removed_clause_is_loosened() -> None:
    new = built(lambda d: d["obligations"].pop(INDEX[LATENCY]))
    assert validate(new) == []
    result = diff_documents(REFUNDS_V1, new)
    [removed] = [c for c in result.clauses if c.change == REMOVED]
    assert (removed.clause_id, removed.direction, removed.title) == (LATENCY, LOOSENED, "Answers quickly")
    assert [c.clause_id for c in result.loosened] == [LATENCY]
    assert result.direction == LOOSENED


def test_renamed_clause_id_is_a_removal_and_an_addition() -> None:
    new = built(put(ob(LATENCY, "id"), "latency-p95-v2"))
    result = diff_documents(REFUNDS_V1, new)
    changes = {c.clause_id: (c.change, c.direction) for c in result.clauses}
    assert changes["latency-p95-v2"] == (ADDED, TIGHTENED)
    assert changes[LATENCY] == (REMOVED, LOOSENED)
    assert result.direction == LOOSENED


def test_reordered_clauses_are_unchanged() -> None:
    new = built(lambda d: d["obligations"].reverse())
    result = diff_documents(REFUNDS_V1, new)
    assert {c.change for c in result.clauses} == {UNCHANGED}
    assert result.direction == NEUTRAL


@pytest.mark.parametrize(
    "document",
    [REFUNDS_V1, refunds_v2(), refunds_v3_loosened(), CODE_REVIEW, SCHEDULER],
    ids=["refunds-v1", "refunds-v2", "refunds-v3", "code-review", "scheduler"],
)
def test_identical_documents_are_unchanged_and_neutral(document: Doc) -> None:
    result = diff_documents(document, copy.deepcopy(document))
    assert result.clauses
    assert all(c.change == UNCHANGED and c.direction == NEUTRAL and c.fields == () for c in result.clauses)
    assert result.document == ()
    assert result.direction == NEUTRAL
    assert result.loosened == []
    assert result.changed == []


def test_loosened_lists_exactly_the_loosened_clauses() -> None:
    new = built(
        put(ob(RESOLUTION, "threshold"), 0.97),  # tightened
        put(ob(LATENCY, "threshold"), 2500),  # loosened
        both(put(ob(POLICY, "min_samples"), 500), put(ob(POLICY, "window_days"), 60)),  # mixed: loosened
        _append_clause,  # added: tightened
    )
    assert validate(new) == []
    result = diff_documents(REFUNDS_V1, new)
    assert [c.clause_id for c in result.loosened] == [LATENCY, POLICY]
    directions = {c.clause_id: c.direction for c in result.clauses}
    assert directions == {RESOLUTION: TIGHTENED, LATENCY: LOOSENED, POLICY: LOOSENED, "escalation-rate": TIGHTENED}
    assert result.direction == LOOSENED


def test_loosened_document_terms_do_not_mark_a_clause_loosened() -> None:
    new = built(put(("review_every_days",), 365), put(ob(LATENCY, "threshold"), 1000))
    result = diff_documents(REFUNDS_V1, new)
    assert result.loosened == []
    assert result.direction == LOOSENED  # the document-level change still counts overall


def test_demo_v1_to_v2_is_tightened() -> None:
    result = diff_documents(REFUNDS_V1, refunds_v2())
    directions = {c.clause_id: c.direction for c in result.clauses}
    assert directions == {RESOLUTION: TIGHTENED, LATENCY: NEUTRAL, POLICY: TIGHTENED}
    assert result.direction == TIGHTENED
    assert result.loosened == []


def test_demo_v2_to_v3_marks_latency_loosened() -> None:
    result = diff_documents(refunds_v2(), refunds_v3_loosened())
    [latency] = [c for c in result.clauses if c.clause_id == LATENCY]
    assert latency.change == CHANGED
    assert latency.direction == LOOSENED
    assert {f.field: (f.old, f.new, f.direction) for f in latency.fields} == {
        "threshold": (1500, 3000, LOOSENED),
        "max_evidence_age_days": (2, 5, LOOSENED),
    }
    assert [c.clause_id for c in result.loosened] == [LATENCY]
    assert result.direction == LOOSENED


def test_reverse_of_a_loosening_is_a_tightening() -> None:
    result = diff_documents(refunds_v3_loosened(), refunds_v2())
    [latency] = [c for c in result.clauses if c.clause_id == LATENCY]
    assert latency.direction == TIGHTENED
    assert result.loosened == []


def test_threshold_in_a_new_unit_is_not_called_tightened() -> None:
    new = built(put(ob(LATENCY, "unit"), "s"), put(ob(LATENCY, "threshold"), 3))
    assert validate(new) == []
    [latency] = [c for c in diff_documents(REFUNDS_V1, new).clauses if c.clause_id == LATENCY]
    assert latency.direction != TIGHTENED


def test_reordered_evidence_kinds_are_unchanged() -> None:
    new = built(put(ob(RESOLUTION, "evidence_kinds"), ["telemetry", "eval_run"]))
    [resolution] = [c for c in diff_documents(REFUNDS_V1, new).clauses if c.clause_id == RESOLUTION]
    assert resolution.change == UNCHANGED
