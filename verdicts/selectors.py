"""Reads of verdicts: the clause board, the series, and the evidence behind one clause's status.

Verdicts are public: a clause's status is what a pact promises buyers to see. The evidence listed behind
a verdict goes through ``evidence.selectors``, so restricted records appear only to those who may see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from evidence.models import EvidenceRecord
from evidence.selectors import evidence_list
from pacts.models import Agent, PactClause, PactVersion
from trustcore.evaluator import refusal, window
from verdicts.evaluation import observation
from verdicts.models import Verdict


@dataclass
class ClauseStatus:
    """What the status board shows for one clause: the current verdict beside the clause it judges."""

    verdict: Any
    clause: Any
    pact: Any


def verdict_board(*, agent: Agent) -> list[ClauseStatus]:
    """Current verdict per clause of the agent's pacts in force; constant queries whatever the evidence volume."""
    verdicts = list(
        Verdict.objects.filter(agent=agent, is_current=True)
        .exclude(pact_version__status=PactVersion.Status.RETIRED)  # a retired pact promises nothing any more
        .select_related("pact", "pact_version")
        .order_by("pact_id", "id")
    )
    clauses = {
        (c.version_id, c.clause_id): c
        for c in PactClause.objects.filter(version_id__in={v.pact_version_id for v in verdicts})
    }
    board = [ClauseStatus(v, clauses.get((v.pact_version_id, v.clause_id)), v.pact) for v in verdicts]
    return sorted(board, key=lambda s: (s.pact.pk, s.clause.position if s.clause else 0))


def verdict_history(*, agent: Agent, pact_id: int | None = None, clause_id: str = "") -> QuerySet[Any]:
    verdicts = Verdict.objects.filter(agent=agent)
    if pact_id is not None:
        verdicts = verdicts.filter(pact_id=pact_id)
    if clause_id:
        verdicts = verdicts.filter(clause_id=clause_id)
    return verdicts.order_by("-computed_at", "-id")


def clause_evidence(
    *, user: Any, agent: Agent, spec: Any, now: datetime, limit: int = 200
) -> list[tuple[EvidenceRecord, str | None]]:
    """The "why" view: the records of the clause's metric in its window, newest first, each with why it did not count."""
    window_start, fresh_cutoff = window(spec, now)
    records = evidence_list(user=user, agent=agent, metric=spec.metric, observed_after=window_start)[:limit]
    out = []
    for record in records:
        reason = refusal(spec, observation(record).key)
        if reason is None and record.observed_to < fresh_cutoff:
            reason = f"older than {spec.max_evidence_age_days} day(s): stale"
        out.append((record, reason))
    return out
