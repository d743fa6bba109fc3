"""Clause-by-clause diff of two pact documents, each change classed tightened, loosened or neutral.

Direction is judged from the buyer's side: *tightened* means the vendor promises
more (harder to meet, sooner, with more evidence, heavier consequences);
*loosened* means it promises less. A clause with any loosened change is
loosened as a whole (it must not inherit the old clause's good record), else
tightened if any change tightened, else neutral. Pure functions over documents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pacts.documents import CONSEQUENCE_LEVELS, SEVERITY_ORDER, clauses

TIGHTENED, LOOSENED, NEUTRAL = "tightened", "loosened", "neutral"
ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"

UPPER_BOUND = {"<=", "<"}  # the measured value must stay below the threshold
LOWER_BOUND = {">=", ">"}  # ... above it
# Order statistics from low to high; mean/rate/count are not comparable with them.
ORDER_STATS = ["min", "p50", "p95", "p99", "max"]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any
    direction: str
    reason: str


@dataclass(frozen=True)
class ClauseDiff:
    clause_id: str
    change: str
    title: str
    fields: tuple[FieldChange, ...] = ()
    direction: str = NEUTRAL


@dataclass(frozen=True)
class PactDiff:
    clauses: tuple[ClauseDiff, ...]
    document: tuple[FieldChange, ...] = field(default_factory=tuple)

    @property
    def loosened(self) -> list[ClauseDiff]:
        return [c for c in self.clauses if c.direction == LOOSENED]

    @property
    def changed(self) -> list[ClauseDiff]:
        return [c for c in self.clauses if c.change != UNCHANGED]

    @property
    def direction(self) -> str:
        return overall([c.direction for c in self.clauses] + [f.direction for f in self.document])


def overall(directions: list[str]) -> str:
    if LOOSENED in directions:
        return LOOSENED
    if TIGHTENED in directions:
        return TIGHTENED
    return NEUTRAL


def _more_is_tighter(old: Any, new: Any) -> str:
    return TIGHTENED if new > old else LOOSENED


def _less_is_tighter(old: Any, new: Any) -> str:
    return TIGHTENED if new < old else LOOSENED


def _threshold(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    comparator = new["comparator"]
    if old["comparator"] != comparator and not _same_bound(old["comparator"], comparator):
        return NEUTRAL, "the comparator changed direction, so the thresholds are not comparable"
    for name in ("unit", "metric"):
        if old.get(name) != new.get(name):
            return NEUTRAL, f"the {name} changed, so the thresholds are not comparable"
    if comparator in LOWER_BOUND:
        direction = _more_is_tighter(old["threshold"], new["threshold"])
        return direction, f"with {comparator}, a higher threshold is stricter"
    if comparator in UPPER_BOUND:
        direction = _less_is_tighter(old["threshold"], new["threshold"])
        return direction, f"with {comparator}, a lower threshold is stricter"
    return NEUTRAL, "an exact target moved"


def _same_bound(a: str, b: str) -> bool:
    return (a in UPPER_BOUND and b in UPPER_BOUND) or (a in LOWER_BOUND and b in LOWER_BOUND)


def _comparator(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    a, b = old["comparator"], new["comparator"]
    if _same_bound(a, b):
        # Strict (< or >) excludes the boundary: strictly harder.
        return (
            (TIGHTENED, "a strict comparison excludes the boundary")
            if len(b) == 1
            else (LOOSENED, "the boundary now counts as met")
        )
    return NEUTRAL, "the comparison changed direction"


def _aggregation(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    a, b = old["aggregation"], new["aggregation"]
    comparator = new["comparator"]
    if a in ORDER_STATS and b in ORDER_STATS and comparator != "==" and _same_bound(old["comparator"], comparator):
        higher = ORDER_STATS.index(b) > ORDER_STATS.index(a)
        # A higher statistic is larger: harder to keep under a bound, easier to keep over one.
        if comparator in UPPER_BOUND:
            return (TIGHTENED if higher else LOOSENED), f"{b} is {'above' if higher else 'below'} {a}"
        return (LOOSENED if higher else TIGHTENED), f"{b} is {'above' if higher else 'below'} {a}"
    return NEUTRAL, "a different statistic is measured"


def _evidence_kinds(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    a, b = set(old["evidence_kinds"]), set(new["evidence_kinds"])
    if b < a:
        return TIGHTENED, "fewer kinds of evidence count"
    if b > a:
        return LOOSENED, "more kinds of evidence count"
    return NEUTRAL, "different kinds of evidence count"


def _consequence_weight(items: list[dict[str, Any]]) -> tuple[frozenset[str], float]:
    actions = frozenset(item["action"] for item in items)
    credit = sum(item.get("percent", 0) for item in items if item["action"] == "service_credit")
    return actions, credit


def _consequences(old_items: list[dict[str, Any]], new_items: list[dict[str, Any]]) -> tuple[str, str]:
    old_actions, old_credit = _consequence_weight(old_items)
    new_actions, new_credit = _consequence_weight(new_items)
    if (
        new_actions >= old_actions
        and new_credit >= old_credit
        and (new_actions, new_credit) != (old_actions, old_credit)
    ):
        return TIGHTENED, "heavier consequences"
    if (
        new_actions <= old_actions
        and new_credit <= old_credit
        and (new_actions, new_credit) != (old_actions, old_credit)
    ):
        return LOOSENED, "lighter consequences"
    return NEUTRAL, "different consequences"


def _prereg(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    if not old.get("prereg_task"):
        return TIGHTENED, "the measurement is now pre-registered"
    if not new.get("prereg_task"):
        return LOOSENED, "the measurement is no longer pre-registered"
    return NEUTRAL, "the pre-registered measurement changed"


UNORDERED = frozenset({"evidence_kinds"})  # lists whose order carries no meaning

ClauseRule = Callable[[dict[str, Any], dict[str, Any]], tuple[str, str]]


def _by(field_name: str, more_is_tighter: bool, reason: str) -> ClauseRule:
    def rule(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
        judge = _more_is_tighter if more_is_tighter else _less_is_tighter
        return judge(old[field_name], new[field_name]), reason

    return rule


def _neutral(reason: str) -> ClauseRule:
    return lambda old, new: (NEUTRAL, reason)


CLAUSE_RULES: dict[str, ClauseRule] = {
    "threshold": _threshold,
    "comparator": _comparator,
    "aggregation": _aggregation,
    "min_samples": _by("min_samples", True, "requiring more samples is stricter"),
    "max_evidence_age_days": _by("max_evidence_age_days", False, "letting older evidence count is looser"),
    "window_days": _by("window_days", False, "a longer window can average a recent lapse away, so it is looser"),
    "severity": lambda o, n: (
        _more_is_tighter(SEVERITY_ORDER[o["severity"]], SEVERITY_ORDER[n["severity"]]),
        "how much a breach weighs",
    ),
    "evidence_kinds": _evidence_kinds,
    "requires_signed_evidence": lambda o, n: (
        TIGHTENED if n["requires_signed_evidence"] else LOOSENED,
        "whether evidence must be signed",
    ),
    "on_breach": lambda o, n: _consequences(o["on_breach"], n["on_breach"]),
    "on_stale": lambda o, n: _consequences(o["on_stale"], n["on_stale"]),
    "prereg_task": _prereg,
    "prereg_task_version": _neutral("the pre-registered task version changed"),
    "prereg_dataset_hash": _neutral("the pre-registered dataset changed"),
    "prereg_scorer": _neutral("the pre-registered scorer changed"),
    "prereg_decision_rule": _neutral("the pre-registered decision rule changed"),
    "metric": _neutral("a different metric is measured"),
    "metric_kind": _neutral("the metric's kind changed"),
    "unit": _neutral("the unit changed"),
    "title": _neutral("wording"),
}


def diff_clause(old: dict[str, Any], new: dict[str, Any]) -> ClauseDiff:
    changes = []
    for name, rule in CLAUSE_RULES.items():
        if old.get(name) == new.get(name) or (name in UNORDERED and sorted(old[name]) == sorted(new[name])):
            continue
        if (
            name.startswith("prereg_")
            and name != "prereg_task"
            and (not old.get("prereg_task") or not new.get("prereg_task"))
        ):
            continue  # adding or removing a registration is judged once, on prereg_task
        direction, reason = rule(old, new)
        changes.append(FieldChange(name, old.get(name), new.get(name), direction, reason))
    if not changes:
        return ClauseDiff(new["clause_id"], UNCHANGED, new["title"])
    return ClauseDiff(new["clause_id"], CHANGED, new["title"], tuple(changes), overall([c.direction for c in changes]))


DOCUMENT_RULES: dict[str, Callable[[Any, Any], str]] = {
    "review_every_days": _less_is_tighter,
    "consequence_level": lambda a, b: _more_is_tighter(CONSEQUENCE_LEVELS.index(a), CONSEQUENCE_LEVELS.index(b)),
    "dispute_terms.response_days": _less_is_tighter,
    "dispute_terms.review_days": _less_is_tighter,
    "dispute_terms.appeal_days": _more_is_tighter,  # a longer appeal window protects the buyer
}


def _document_value(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> PactDiff:
    old_rows = {row["clause_id"]: row for row in clauses(old)}
    new_rows = {row["clause_id"]: row for row in clauses(new)}
    result = []
    for clause_id, row in new_rows.items():
        if clause_id in old_rows:
            result.append(diff_clause(old_rows[clause_id], row))
        else:
            result.append(ClauseDiff(clause_id, ADDED, row["title"], (), TIGHTENED))
    for clause_id, row in old_rows.items():
        if clause_id not in new_rows:
            result.append(ClauseDiff(clause_id, REMOVED, row["title"], (), LOOSENED))

    document_changes = []
    for dotted, judge in DOCUMENT_RULES.items():
        a, b = _document_value(old, dotted), _document_value(new, dotted)
        if a == b:
            continue
        direction = judge(a, b) if a is not None and b is not None else (TIGHTENED if a is None else LOOSENED)
        document_changes.append(FieldChange(dotted, a, b, direction, "document terms"))
    for name in ("title", "description", "scope"):
        if old.get(name) != new.get(name):
            document_changes.append(FieldChange(name, old.get(name), new.get(name), NEUTRAL, "wording"))
    return PactDiff(tuple(result), tuple(document_changes))
