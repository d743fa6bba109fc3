"""Template helpers for evidence: what a record measured, and how fresh it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

register = template.Library()


@register.filter
def measured(record: Any) -> str:
    if record.successes is not None:
        rate = record.successes / record.trials if record.trials else 0
        return f"{record.successes:,}/{record.trials:,} ({rate:.1%})"
    if record.values:
        values = record.values
        return f"mean {sum(values) / len(values):.4g} of {len(values):,}"
    if record.value is not None:
        return f"{record.value:.6g}"
    return "—"


@register.filter
def freshness(observed_to: datetime | None, now: datetime) -> str:
    """'3 days old', 'today', '5 hours old'."""
    if observed_to is None:
        return "—"
    seconds = (now - observed_to).total_seconds()
    if seconds < 0:
        return "just now"
    days = int(seconds // 86400)
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''} old"
    hours = int(seconds // 3600)
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''} old"
    return "less than an hour old"


STATUS_CHIPS = {
    "met": "chip-ok",
    "breached": "chip-bad",
    "stale": "chip-warn",
    "insufficient_evidence": "chip-neutral",
    "disputed": "chip-info",
}
STATUS_LABELS = {
    "met": "met",
    "breached": "breached",
    "stale": "stale",
    "insufficient_evidence": "insufficient evidence",
    "disputed": "disputed",
}


@register.filter
def verdict_chip(status: str) -> str:
    return STATUS_CHIPS.get(status, "chip-neutral")


@register.filter
def verdict_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@register.simple_tag
def quantity(value: float | None, percent: bool = False, unit: str = "") -> str:
    """A measured value or threshold as people read it: '91.4 %', '1,901 ms', '0.95'."""
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f} %"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return f"{text} {unit}".strip()
