"""Extension points other apps fill in (so that dependencies keep pointing one way).

``disputed_clauses``: functions ``(agent_id) -> set[(pact_id, clause_id)]`` naming the clauses an open
dispute covers. The disputes app registers one; evaluation marks those verdicts ``disputed`` beside
their computed status.

``overrides``: functions ``(agent_id, now) -> {(pact_id, clause_id): (status, note)}`` naming the clauses a
ruling overrides for a period: evaluation writes that status (with the note) instead of the computed one until
the period ends, so an override moves score, tier and ledger exactly as a computed verdict would.

``evaluated``: functions ``(agent_id, written, now) -> None`` called at the end of every evaluation of an
agent, inside its transaction, with the verdict rows it wrote (maybe none): the reputation app re-scores and
re-tiers there, so a breach and the downgrade it causes commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

disputed_clauses: list[Callable[[int], set[tuple[int, str]]]] = []
evaluated: list[Callable[[int, list[Any], datetime], Any]] = []
# ``(warning) -> None``: an early warning opened (``verdicts.warnings``); reputation announces it (``clause.warning``).
warned: list[Callable[[Any], None]] = []
overrides: list[Callable[[int, datetime], dict[tuple[int, str], tuple[str, str]]]] = []


def clauses_under_dispute(agent_id: int) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for provider in disputed_clauses:
        found |= provider(agent_id)
    return found


def overridden_clauses(agent_id: int, now: datetime) -> dict[tuple[int, str], tuple[str, str]]:
    found: dict[tuple[int, str], tuple[str, str]] = {}
    for provider in overrides:
        found.update(provider(agent_id, now))
    return found


def after_evaluation(agent_id: int, written: list[Any], now: datetime) -> None:
    for handler in evaluated:
        handler(agent_id, written, now)
