"""Reads of the trust loop: an agent's standing, and the events that explain it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from pacts.models import Agent
from reputation.models import Reputation, ScoreEvent, TierChange
from trustcore.score import ALGORITHM


def reputation_of(*, user: Any, agent: Agent) -> Reputation:
    """The agent's reputation; an agent never evaluated is unverified at the prior's score (nothing is written)."""
    found = Reputation.objects.restrict(user, "view").filter(agent=agent).first()
    if found is not None:
        return found
    return Reputation(agent=agent, algorithm=ALGORITHM, computed_at=timezone.now(), tier_reason="no verdict yet")


def score_events(*, user: Any, agent: Agent) -> QuerySet[ScoreEvent]:
    return ScoreEvent.objects.restrict(user, "view").filter(agent=agent).order_by("-at", "-id")


def tier_changes(*, user: Any, agent: Agent) -> QuerySet[TierChange]:
    return TierChange.objects.restrict(user, "view").filter(agent=agent).order_by("-at", "-id")
