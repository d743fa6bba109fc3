"""Reads of verdicts: the clause board, the series, and the evidence behind one clause's status.

Verdicts are public: a clause's status is what a pact promises buyers to see. The evidence listed behind
a verdict goes through ``evidence.selectors``, so restricted records appear only to those who may see them.
A verdict that rests on restricted evidence shows such readers its status and that fact, nothing derived
from the evidence (``shown``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from evidence.models import EvidenceRecord
from evidence.selectors import can_see_restricted, evidence_list
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


RESTRICTED_NOTE = (
    "Rests on restricted evidence: the measured value, samples, record counts and freshness are shown only "
    "to those who may see that evidence."
)
WITHHELD = ("measured", "samples", "used_records", "refused_records", "freshest_at")


def shown(verdicts: Iterable[Verdict], *, user: Any, agent: Agent) -> list[Verdict]:
    """The verdicts as ``user`` may see them (docs/evaluation.md, "Verdicts on restricted evidence").

    To a reader who may not see the agent's restricted evidence, a verdict that rests on it keeps its
    status, clause, threshold and window; its measured value, samples, record counts, refusals and
    freshness become None (``withheld`` is set, and such a verdict refuses to be saved).
    """
    verdicts = list(verdicts)
    if not any(v.rests_on_restricted for v in verdicts) or can_see_restricted(user=user, agent=agent):
        return verdicts
    for verdict in verdicts:
        if verdict.rests_on_restricted:
            verdict.withheld = True  # type: ignore[attr-defined]
            for name in WITHHELD:
                setattr(verdict, name, None)
            verdict.refusals = []
            verdict.note = RESTRICTED_NOTE
    return verdicts


def verdict_board(*, agent: Agent, user: Any) -> list[ClauseStatus]:
    """Current verdict per clause of the agent's pacts in force, as ``user`` may see them; constant queries
    whatever the evidence volume."""
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
    verdicts = shown(verdicts, user=user, agent=agent)
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
