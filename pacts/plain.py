"""Pact clauses in plain language, for people who will not read the JSON."""

from __future__ import annotations

from typing import Any

SYMBOLS = {"<=": "≤", "<": "<", ">=": "≥", ">": ">", "==": "="}
AGGREGATIONS = {
    "mean": "mean",
    "rate": "success rate of",
    "p50": "median",
    "p95": "95th percentile of",
    "p99": "99th percentile of",
    "min": "minimum",
    "max": "maximum",
    "count": "count of",
}
ACTIONS = {"downgrade": "downgrade", "suspend": "suspension", "notify": "notify followers"}


def format_threshold(clause: dict[str, Any]) -> str:
    threshold = float(clause["threshold"])
    unit = clause.get("unit") or ""
    if clause.get("metric_kind") == "binary" and clause["aggregation"] != "count" and not unit:
        return f"{threshold * 100:g} %"
    number = f"{int(threshold)}" if threshold == int(threshold) else f"{threshold:g}"
    return f"{number} {unit}".strip()


def describe_consequences(items: list[dict[str, Any]]) -> str:
    parts = []
    for item in items:
        if item["action"] == "service_credit":
            parts.append(f"{item['percent']:g} % service credit")
        else:
            parts.append(ACTIONS.get(item["action"], item["action"]))
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def measure(clause: dict[str, Any]) -> str:
    """'success rate of task_success ≥ 92 %'."""
    return f"{AGGREGATIONS[clause['aggregation']]} {clause['metric']} {SYMBOLS[clause['comparator']]} {format_threshold(clause)}"


def conditions(clause: dict[str, Any]) -> str:
    """'over 30 days, at least 200 samples, evidence at most 7 days old'."""
    days = clause["window_days"]
    age = clause["max_evidence_age_days"]
    samples = clause["min_samples"]
    return (
        f"over {days} day{'s' if days != 1 else ''}, at least {samples:,} sample{'s' if samples != 1 else ''}, "
        f"evidence at most {age} day{'s' if age != 1 else ''} old"
    )


def describe_clause(clause: dict[str, Any]) -> str:
    """One sentence (or a few) a buyer can read aloud; takes a clause row from ``documents.clauses``."""
    text = f"{clause['title']} — {measure(clause)} {conditions(clause)}"
    if clause.get("requires_signed_evidence"):
        text += "; signed evidence only"
    if clause.get("prereg_task"):
        text += (
            f"; pre-registered: task {clause['prereg_task']} v{clause['prereg_task_version']}, "
            f"dataset {clause['prereg_dataset_hash'][:12]}…, scorer {clause['prereg_scorer']}"
        )
    consequences = []
    if clause.get("on_breach"):
        consequences.append(f"on breach: {describe_consequences(clause['on_breach'])}")
    if clause.get("on_stale"):
        consequences.append(f"when stale: {describe_consequences(clause['on_stale'])}")
    if consequences:
        text += "; " + "; ".join(consequences)
    return text + "."
