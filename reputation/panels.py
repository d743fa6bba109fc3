"""The score panel on the agent page (``pacts.hooks.agent_panels``): score, bound, tier and a sparkline."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from reputation.charts import score_figure
from reputation.selectors import reputation_of, score_events, tier_changes


def score_panel(request: HttpRequest, agent: Any) -> dict[str, Any] | None:
    reputation = reputation_of(user=request.user, agent=agent)
    now = timezone.now()
    events = list(score_events(user=request.user, agent=agent)[:500])
    changes = list(tier_changes(user=request.user, agent=agent)[:200])
    return {
        "template": "reputation/_score_panel.html",
        "context": {
            "agent": agent,
            "reputation": reputation,
            "latest_change": changes[0] if changes else None,
            "figure": score_figure(events=events, changes=changes, now=now) if events else None,
        },
    }
