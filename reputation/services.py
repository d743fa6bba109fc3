"""Writes of the trust loop: re-scoring and re-tiering an agent after each evaluation.

``reputation_update`` runs inside the evaluation's transaction (the ``verdicts.hooks.evaluated`` hook), so the
verdict that records a breach and the downgrade it causes commit together: no reader ever sees the breach and
the old tier at once. The score itself is ``trustcore.score`` over inputs gathered here, stored with each
event so that anyone can recompute it.

Hooks the disputes app fills (it sits below reputation, so reputation never imports it):

- ``penalty_sources``: ``(agent_id, since, now) -> [[at, weight, source], …]``, upheld rulings weighing
  against the agent (``trustcore.score`` penalties, stored in the inputs like everything else);
- ``tier_caps``: ``(agent_id, now) -> [(tier, reason), …]``, rulings capping the tier for their period.

``caused_by(type, id, reason)`` names what moved the score when it is not a verdict (a ruling being applied):
the score events and tier changes written inside it point at that source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from pacts.models import Agent, Pact, PactClause, PactVersion
from reputation import events
from reputation.ledger import previous_status
from reputation.models import Reputation, ScoreEvent, SourceType, TierChange
from transparency.log import log_size
from trustcore import score as core
from verdicts.models import Verdict

SCORE_EPSILON = 0.05  # a smaller move (decay between sweeps) writes no event

penalty_sources: list[Callable[[int, datetime, datetime], list[list[Any]]]] = []
tier_caps: list[Callable[[int, datetime], list[tuple[str, str]]]] = []
_cause_override: ContextVar[tuple[str, int, str] | None] = ContextVar("reputation_cause", default=None)


@contextmanager
def caused_by(source_type: str, source_id: int, reason: str) -> Iterator[None]:
    """Score events and tier changes written inside point at this source (e.g. a ruling), not a verdict."""
    token = _cause_override.set((source_type, source_id, reason))
    try:
        yield
    finally:
        _cause_override.reset(token)


def half_life_days() -> float:
    return float(getattr(settings, "SCORE_HALF_LIFE_DAYS", 30.0))


def upgrade_days() -> float:
    return float(getattr(settings, "TIER_UPGRADE_DAYS", 14.0))


def lookback_days() -> float:
    """Evidence older than eight half-lives weighs under 0.4 % and is not read."""
    return 8 * half_life_days()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def score_inputs(*, agent_id: int, now: datetime) -> dict[str, Any]:
    """Everything ``trustcore.score.compute`` needs, as JSON: the merged status intervals of every clause, the
    stale-pact spans and the parameters. Stored on each score event (recompute with ``recompute``)."""
    since = now - timedelta(days=lookback_days())
    rows = _history(agent_id, since)
    versions = {row[2] for row in rows}
    severities: dict[int, dict[str, str]] = {}
    for version_id, clause_id, severity in PactClause.objects.filter(version_id__in=versions).values_list(
        "version_id", "clause_id", "severity"
    ):
        severities.setdefault(version_id, {})[clause_id] = severity
    ends: dict[int, datetime] = {
        pk: retired
        for pk, retired in PactVersion.objects.filter(pk__in=versions, retired_at__isnull=False).values_list(
            "pk", "retired_at"
        )
        if retired is not None
    }
    intervals: list[list[Any]] = []
    for position, (verdict_id, pact_id, version_id, clause_id, status, at) in enumerate(rows):
        following = rows[position + 1] if position + 1 < len(rows) else ()
        same_clause = bool(following) and following[1] == pact_id and following[3] == clause_id
        end: datetime = following[5] if same_clause else now
        if version_id in ends:
            end = min(end, ends[version_id])
        start = max(at, since)
        clause_weights = {c: core.SEVERITY_WEIGHTS.get(s, 1.0) for c, s in severities.get(version_id, {}).items()}
        share = clause_weights.get(clause_id, 1.0) / (sum(clause_weights.values()) or 1.0)
        if end < start or (end == start and same_clause):  # a status replaced at once held no time
            continue
        last = intervals[-1] if intervals else None
        if (
            last is not None
            and last[5] == (pact_id, clause_id)
            and last[2] == status
            and last[3] == share
            and last[1] == _iso(start)
        ):
            last[1] = _iso(end)  # one status held across several verdict rows: one interval
            continue
        intervals.append([_iso(start), _iso(end), status, share, verdict_id, (pact_id, clause_id)])
    overdue = (
        Pact.objects.filter(agent_id=agent_id)
        .stale(now)
        .exclude(versions__status=PactVersion.Status.RETIRED)
        .with_review_due(now)
        .values_list("review_due_in_force", flat=True)  # type: ignore[misc]  # annotated by with_review_due
        .distinct()
    )
    stale = [[_iso(max(due, since)), _iso(now)] for due in overdue if due is not None]
    return {
        "algorithm": core.ALGORITHM,
        "now": _iso(now),
        "half_life_days": half_life_days(),
        "intervals": [
            [start, end, status, share, verdict_id] for start, end, status, share, verdict_id, _ in intervals
        ],
        "stale_pact": stale,
        "penalties": [penalty for source in penalty_sources for penalty in source(agent_id, since, now)],
    }


def _history(agent_id: int, since: datetime) -> list[tuple[Any, ...]]:
    """Every verdict row of the agent's clauses that may still hold a status after ``since``: the rows computed
    since, and for each clause the last one computed before (its status held into the window)."""
    recent = list(
        Verdict.objects.filter(agent_id=agent_id, computed_at__gte=since)
        .exclude(pact_version__status=PactVersion.Status.DRAFT)
        .values_list("id", "pact_id", "pact_version_id", "clause_id", "status", "computed_at")
    )
    earlier: dict[tuple[int, str], tuple[Any, ...]] = {}
    for row in (
        Verdict.objects.filter(agent_id=agent_id, computed_at__lt=since)
        .order_by("pact_id", "clause_id", "-computed_at", "-id")
        .values_list("id", "pact_id", "pact_version_id", "clause_id", "status", "computed_at")
    ):
        earlier.setdefault((row[1], row[3]), row)
    return sorted([*earlier.values(), *recent], key=lambda r: (r[1], r[3], r[5], r[0]))


def recompute(inputs: dict[str, Any]) -> core.Score:
    """The score a stored event's inputs give (what an outsider runs, with ``trustcore.score`` alone)."""
    return core.compute_from_inputs(inputs)


def _standing(agent_id: int, now: datetime) -> core.Standing:
    in_force = list(
        PactVersion.objects.in_force(at=now)
        .filter(pact__agent_id=agent_id)
        .exclude(pact__versions__status=PactVersion.Status.RETIRED)
        .order_by("pact_id", "-number")
        .values_list("pk", "pact_id")
    )
    current_versions: dict[int, int] = {}
    for version_id, pact_id in in_force:
        current_versions.setdefault(pact_id, version_id)
    if not current_versions:
        return core.Standing(has_pact=False, has_verdicts=False)
    clauses = {
        (version_id, clause_id): (severity, on_breach, on_stale)
        for version_id, clause_id, severity, on_breach, on_stale in PactClause.objects.filter(
            version_id__in=current_versions.values()
        ).values_list("version_id", "clause_id", "severity", "on_breach", "on_stale")
    }
    current = list(
        Verdict.objects.filter(
            agent_id=agent_id, is_current=True, pact_version_id__in=current_versions.values()
        ).values_list("pact_version_id", "clause_id", "status")
    )
    failing: list[str] = []
    downgrading: list[str] = []
    for version_id, clause_id, status in current:
        severity, on_breach, on_stale = clauses.get((version_id, clause_id), ("", [], []))
        if status not in (Verdict.Status.BREACHED, Verdict.Status.STALE):
            continue
        if severity == "critical":
            failing.append(clause_id)
        elif _says_downgrade(on_breach if status == Verdict.Status.BREACHED else on_stale):
            downgrading.append(clause_id)
    stale = Pact.objects.filter(pk__in=current_versions).stale(now).exists()
    return core.Standing(
        has_pact=True,
        has_verdicts=bool(current),
        failing_critical=tuple(sorted(failing)),
        pact_stale=stale,
        downgrading=tuple(sorted(downgrading)),
        ruling_caps=tuple(cap for source in tier_caps for cap in source(agent_id, now)),
    )


def _says_downgrade(actions: Any) -> bool:
    """Whether a clause's consequences (``on_breach`` / ``on_stale``) include a downgrade."""
    return any(
        (isinstance(action, dict) and action.get("action") == "downgrade") or action == "downgrade"
        for action in actions or []
    )


def _cause(written: Iterable[Verdict], delta: float) -> Verdict | None:
    """The verdict that explains a move of the score: a failing one for a fall, a met one for a rise; None when
    no verdict written moves it that way (then time did: older evidence decays)."""
    failing = (Verdict.Status.BREACHED, Verdict.Status.STALE, Verdict.Status.INSUFFICIENT)
    for verdict in written:
        if (delta < 0) == (verdict.status in failing):
            return verdict
    return None


def reputation_update(agent_id: int, written: list[Verdict], now: datetime) -> Reputation:
    """Re-score and re-tier one agent (inside the evaluation's transaction); write events for what changed."""
    with transaction.atomic():
        reputation = Reputation.objects.select_for_update().filter(agent_id=agent_id).first()
        if reputation is None and not written and not Verdict.objects.filter(agent_id=agent_id).exists():
            # Never judged: nothing to score (the agent reads as unverified); no row until a first verdict.
            return Reputation(agent_id=agent_id, algorithm=core.ALGORITHM, computed_at=now)
        if reputation is None:
            Agent.objects.select_for_update().filter(pk=agent_id).first()  # one first row per agent
            reputation = Reputation.objects.filter(agent_id=agent_id).first() or Reputation(
                agent_id=agent_id, algorithm=core.ALGORITHM, tier_since=now, computed_at=now
            )
            first = reputation._state.adding
        else:
            first = False
        inputs = score_inputs(agent_id=agent_id, now=now)
        result = recompute(inputs)
        size = log_size()
        delta = result.score - (reputation.score if not first else 50.0)
        cause = _cause(written, delta)
        source_type: str
        source_id: int | None
        source_type, source_id = (SourceType.VERDICT, cause.pk) if cause else (SourceType.TIME, None)
        acting = _cause_override.get()
        if first or abs(delta) >= SCORE_EPSILON:
            reason = (
                f"{cause.clause_id} {cause.get_status_display().lower()} (pact v{cause.pact_version.number})"
                if cause
                else "older evidence decays"
            )
            if acting is not None:
                source_type, source_id, reason = acting
            ScoreEvent.objects.create(
                agent_id=agent_id,
                at=now,
                score=result.score,
                lower_bound=result.lower_bound,
                delta=round(delta, 4),
                reason=reason[:300],
                source_type=source_type,
                source_id=source_id,
                algorithm=core.ALGORITHM,
                log_size=size,
                inputs=inputs,
            )
        _announce_breaches(written)
        target, why = core.target_tier(_standing(agent_id, now), result.lower_bound)
        state = core.TierState(reputation.tier, reputation.pending_tier or None, reputation.pending_since)
        new_state, change_reason = core.next_tier(state, target, why, now, upgrade_days=upgrade_days())
        if new_state.tier != reputation.tier:
            moved = _cause(written, core.rank(new_state.tier) - core.rank(reputation.tier))
            source_type, source_id = (SourceType.VERDICT, moved.pk) if moved else (SourceType.TIME, None)
            if acting is not None:
                source_type, source_id = acting[0], acting[1]
            TierChange.objects.create(
                agent_id=agent_id,
                at=now,
                old=reputation.tier,
                new=new_state.tier,
                reason=(change_reason or why)[:300],
                source_type=source_type,
                source_id=source_id,
                score=result.score,
                lower_bound=result.lower_bound,
            )
            reputation.tier_since = now
            reputation.tier_reason = (change_reason or why)[:300]
            _announce_tier(agent_id, reputation.tier, new_state.tier, reputation.tier_reason, result, now)
        elif target == reputation.tier:
            reputation.tier_reason = why[:300]  # the reason it holds now (a bound that moved, a pact gone stale)
        reputation.tier = new_state.tier
        reputation.pending_tier = new_state.pending_tier or ""
        reputation.pending_since = new_state.pending_since
        reputation.score, reputation.lower_bound = result.score, result.lower_bound
        reputation.algorithm, reputation.log_size, reputation.computed_at = core.ALGORITHM, size, now
        reputation.save()
        return reputation


def _announce_tier(agent_id: int, old: str, new: str, reason: str, result: core.Score, now: datetime) -> None:
    agent = Agent.objects.get(pk=agent_id)
    direction = "downgraded" if core.rank(new) < core.rank(old) else "upgraded"
    events.publish(
        "tier.changed",
        agent=agent,
        title=f"{agent.name} {direction}: {old} → {new}",
        url=reverse("reputation:score", args=[agent.slug]),
        data={
            "agent": agent.slug,
            "old": old,
            "new": new,
            "reason": reason,
            "score": result.score,
            "lower_bound": result.lower_bound,
            "at": _iso(now),
        },
    )


def _announce_breaches(written: Iterable[Verdict]) -> None:
    """``verdict.breached`` when a clause becomes breached (not again for each later verdict of the breach)."""
    for verdict in written:
        if verdict.status != Verdict.Status.BREACHED:
            continue
        if previous_status(verdict) == Verdict.Status.BREACHED:
            continue
        agent = verdict.agent
        events.publish(
            "verdict.breached",
            agent=agent,
            title=f"{agent.name}: {verdict.clause_id} breached",
            url=reverse("verdicts:clause", args=[agent.slug, verdict.pact_id, verdict.clause_id]),
            data={
                "agent": agent.slug,
                "verdict": verdict.pk,
                "pact": verdict.pact_id,
                "pact_version": verdict.pact_version.number,
                "clause_id": verdict.clause_id,
                "computed_at": _iso(verdict.computed_at),
            },
        )
