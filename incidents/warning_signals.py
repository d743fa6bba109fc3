"""Early warnings as missed signals, and how much earlier they came than breaches.

``warning_signals`` is registered in ``incidents.hooks.signal_sources`` (``incidents.apps``): the burn-rate
warnings (``verdicts.ClauseWarning``) opened on the involved clauses in the look-back window are candidates for an
incident's first missed signal (one query). ``warning_lead`` summarises ``verdicts.warnings.lead_times`` for the
failure dashboard: per warning followed by a breach, how much earlier it came.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Q

from incidents.missed_signals import Signal
from pacts.models import Agent
from verdicts.models import ClauseWarning
from verdicts.warnings import lead_times


def warning_signals(
    *, agent_id: int, clauses: Sequence[tuple[int, str]], start: datetime, end: datetime
) -> list[Signal]:
    warnings = ClauseWarning.objects.filter(agent_id=agent_id, opened_at__gte=start, opened_at__lte=end)
    if clauses:
        where = Q(pk__in=[])
        for pact_id, clause_id in clauses:
            where |= Q(pact_id=pact_id, clause_id=clause_id)
        warnings = warnings.filter(where)
    found = warnings.order_by("opened_at", "id").first()
    if found is None:
        return []
    rule = found.get_rule_display().lower()  # type: ignore[attr-defined]
    return [
        Signal(
            "warning",
            found.pk,
            found.opened_at,
            found.clause_id,
            f"early warning on {found.clause_id}: {rule} burn of its error budget",
        )
    ]


def warning_lead(*, agents: Any, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    """Lead times of warnings followed by a breach on ``agents`` (a queryset of agents the reader may see)."""
    agent_ids = list(Agent.objects.filter(pk__in=agents.values("pk")).values_list("pk", flat=True))
    rows = [row for row in lead_times(agent_ids=agent_ids, since=since) if until is None or row["warned_at"] < until]
    seconds = [row["lead_seconds"] for row in rows]
    return {
        "count": len(rows),
        "median_seconds": statistics.median(seconds) if seconds else None,
        "max_seconds": max(seconds) if seconds else None,
        "warnings": [
            {
                "agent": row["agent"],
                "clause_id": row["clause_id"],
                "warned_at": row["warned_at"],
                "breached_at": row["breached_at"],
                "lead_seconds": row["lead_seconds"],
            }
            for row in rows
        ],
    }
