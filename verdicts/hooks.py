"""Extension points other apps fill in (so that dependencies keep pointing one way).

``disputed_clauses``: functions ``(agent_id) -> set[(pact_id, clause_id)]`` naming the clauses an open
dispute covers. The disputes app registers one; evaluation marks those verdicts ``disputed`` beside
their computed status.
"""

from __future__ import annotations

from collections.abc import Callable

disputed_clauses: list[Callable[[int], set[tuple[int, str]]]] = []


def clauses_under_dispute(agent_id: int) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for provider in disputed_clauses:
        found |= provider(agent_id)
    return found
