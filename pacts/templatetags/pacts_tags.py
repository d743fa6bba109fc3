"""Template helpers for pacts: plain-language clauses, status and direction chips."""

from __future__ import annotations

import json
from typing import Any

from django import template

from pacts.plain import describe_clause, format_threshold, measure

register = template.Library()

STATUS_CHIPS = {
    "draft": "chip-neutral",
    "published": "chip-ok",
    "in force": "chip-ok",
    "scheduled": "chip-info",
    "superseded": "chip-info",
    "retired": "chip-warn",
}
DIRECTION_CHIPS = {"tightened": "chip-ok", "loosened": "chip-bad", "neutral": "chip-neutral"}
LEVEL_CHIPS = {"low": "chip-neutral", "medium": "chip-info", "high": "chip-warn", "critical": "chip-bad"}


def _row(clause: Any) -> dict[str, Any]:
    return clause if isinstance(clause, dict) else clause.as_row()


@register.filter
def plain_clause(clause: Any) -> str:
    return describe_clause(_row(clause))


@register.filter
def clause_measure(clause: Any) -> str:
    return measure(_row(clause))


@register.filter
def clause_threshold(clause: Any) -> str:
    return format_threshold(_row(clause))


@register.filter
def status_chip(status: str) -> str:
    return STATUS_CHIPS.get(status, "chip-neutral")


@register.filter
def standing(version: Any, in_force_number: int | None) -> str:
    """``{{ v|standing:pact.current_number }}``: draft, scheduled, in force, superseded or retired, now."""
    return str(version.standing(in_force_number=in_force_number))


@register.filter
def direction_chip(direction: str) -> str:
    return DIRECTION_CHIPS.get(direction, "chip-neutral")


@register.filter
def level_chip(level: str) -> str:
    return LEVEL_CHIPS.get(level, "chip-neutral")


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def short_hash(value: str) -> str:
    return f"{value[:12]}…" if value else ""
