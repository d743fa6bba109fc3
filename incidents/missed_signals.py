"""The first missed signal of an incident, derived from history.

On the involved clauses (every clause of the agent when none is named), in the look-back window
``[visible_at - lookback_days, visible_at]``, the earliest of:

* a **verdict** whose computed status was not ``met`` (breached, stale, insufficient evidence);
* an **access decision** that answered ``allow`` while an involved clause was shown as anything but ``met``
  (a decision that should have denied: the signal was there and trust was still granted);
* an **early warning**, or any other signal, from the sources registered in ``incidents.hooks.signal_sources``.

Ties go to the verdict, then the warning, then the decision. The derivation reads system-wide history (a fact
about the agent, not about the reader); pages and the API show a decision's details only to those who may see it.
One query per source, whatever the history's length (the decision scan stops at the first match).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from incidents import hooks
from reputation.models import Decision
from verdicts.models import Verdict

ORDER = {"verdict": 0, "warning": 1, "decision": 2, "other": 3}


@dataclass(frozen=True)
class Signal:
    type: str
    id: int | None
    at: datetime
    clause_id: str
    summary: str


def _clause_filter(clauses: Sequence[tuple[int, str]]) -> Q:
    where = Q(pk__in=[])
    for pact_id, clause_id in clauses:
        where |= Q(pact_id=pact_id, clause_id=clause_id)
    return where


def first_non_met_verdict(
    *, agent_id: int, clauses: Sequence[tuple[int, str]], start: datetime, end: datetime
) -> Signal | None:
    verdicts = Verdict.objects.filter(agent_id=agent_id, computed_at__gte=start, computed_at__lte=end).exclude(
        status=Verdict.Status.MET
    )
    if clauses:
        verdicts = verdicts.filter(_clause_filter(clauses))
    found = verdicts.select_related("pact_version").order_by("computed_at", "id").first()
    if found is None:
        return None
    label = found.get_status_display().lower()  # type: ignore[attr-defined]
    return Signal(
        "verdict",
        found.pk,
        found.computed_at,
        found.clause_id,
        f"{found.clause_id} {label} (pact v{found.pact_version.number})",
    )


def first_allow_while_not_met(
    *, agent_id: int, clause_ids: Iterable[str], start: datetime, end: datetime
) -> Signal | None:
    """The first ``allow`` that saw an involved clause not met (``clause_ids`` empty: any clause)."""
    wanted = set(clause_ids)
    rows = (
        Decision.objects.filter(agent_id=agent_id, at__gte=start, at__lte=end, result="allow")
        .order_by("at", "id")
        .values_list("pk", "at", "input")
    )
    for pk, at, seen in rows.iterator(chunk_size=500):
        shown = (seen or {}).get("verdicts") or {}
        if not isinstance(shown, dict):
            continue
        for clause_id in sorted(shown):
            status = shown[clause_id]
            if (not wanted or clause_id in wanted) and status != Verdict.Status.MET:
                text = str(status).replace("_", " ")
                return Signal("decision", pk, at, clause_id, f"an access decision allowed while {clause_id} was {text}")
    return None


def derive(
    *, agent_id: int, clauses: Sequence[tuple[int, str]], visible_at: datetime, lookback_days: int
) -> Signal | None:
    """The earliest missed signal in the look-back window before ``visible_at``, or None."""
    start = visible_at - timedelta(days=lookback_days)
    found: list[Signal] = []
    verdict = first_non_met_verdict(agent_id=agent_id, clauses=clauses, start=start, end=visible_at)
    if verdict:
        found.append(verdict)
    decision = first_allow_while_not_met(
        agent_id=agent_id, clause_ids=[c for _, c in clauses], start=start, end=visible_at
    )
    if decision:
        found.append(decision)
    for source in hooks.signal_sources:
        found.extend(
            s
            for s in source(agent_id=agent_id, clauses=list(clauses), start=start, end=visible_at)
            if start <= s.at <= visible_at
        )
    return min(found, key=lambda s: (s.at, ORDER.get(s.type, 9), s.id or 0), default=None)
