"""Replay: re-run an agent's history under another pact version or a stricter policy ("what breaks first with a
more skeptical counterparty"), with the portal's own pure functions.

What it runs: ``trustcore.evaluator`` (the clause verdict, over the same day/hour/edge-hour parts the portal reads
from its buckets), ``trustcore.score`` (the score from the merged status intervals, ``target_tier``,
``next_tier``) and, for a policy, ``reputation.policies.decision_evaluate`` (pure given its inputs). Everything
is loaded once (records, verdict rows, tier changes, versions, decisions); only the disputes hooks (penalties,
tier caps, verdict overrides) are asked at each moment, as the portal asked them then.

**What was known then.** At a moment ``t`` a record counts when ``received_at ≤ t`` (``knowledge="received"``).
A history evaluated after the fact — verdicts computed for moments before the evidence they used was received
(seeded data, re-evaluation with ``now=``) — is replayed with ``knowledge="observed"``: every record the evaluator
itself would accept at ``t`` (``observed_to ≤ t`` + the 5-minute skew), which is what those evaluations saw.
``knowledge_for`` picks it (an override is accepted).

**When.** At the moments the portal evaluated: the verdict rows' ``computed_at``, the score events' and tier
changes' ``at`` (every evaluation that changed anything wrote one of them), and each evidence arrival the portal
evaluated after (ingest queues an evaluation; when it wrote nothing, its moment is the arrival). Between two such
moments the portal's verdicts and tiers did not change, and the replayed functions, given the same evidence and
moment, return what the portal returned: so replaying the version in force reproduces the verdict rows (status,
value, samples) and tier changes exactly (tested). A replayed clause whose window, freshness limit, metric or
evidence kinds differ from every clause in force also changes status with the passage of time where the portal's
did not: its breakpoints (a record entering, leaving the window, going stale) are added, each discovered at the
next portal moment or one sweep later (``VERDICT_SWEEP_SECONDS``), whichever comes first.

Limits (documented in docs/incidents.md): evaluations that wrote nothing and are not an arrival (a sweep that
changed nothing) are invisible, so a pending upgrade that began and was cut at such a moment can start earlier in
the replay; a policy's ``max_open_disputes`` is not replayed (open-dispute counts are not kept as history); the
review cadence is the actual pact's.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from evidence.models import EvidenceRecord, Visibility
from pacts.models import Agent, Pact, PactClause, PactVersion
from reputation.models import ScoreEvent, TierChange
from trustcore import score as core
from trustcore.evaluator import (
    FUTURE_SKEW,
    Aggregate,
    ClauseSpec,
    Key,
    Part,
    day_start,
    edge_days,
    edge_hours,
    evaluate_parts,
    hour_start,
    parts_for,
)
from trustcore.evaluator import Observation as Obs
from verdicts import hooks as verdict_hooks
from verdicts.evaluation import OBSERVATION_FIELDS, observation
from verdicts.models import Verdict

ARRIVAL_SLACK = timedelta(seconds=60)  # the evaluation ingest queues runs within this of the arrival
FAILING = ("breached", "stale")
RECEIVED, OBSERVED = "received", "observed"


# --- evidence as it was known ----------------------------------------------------------------------------------


@dataclass
class _Bucket:
    key: Key
    newest: datetime
    oldest: datetime
    aggregate: Aggregate
    records: int = 0

    def part(self) -> Part:
        return Part(self.key, self.newest, self.oldest, self.aggregate, records=self.records)


@dataclass
class KnownEvidence:
    """Day and hour buckets plus raw records per metric, fed in the order records became known: the same
    summaries ingest keeps, as they stood at each moment."""

    rows: list[tuple[datetime, Obs]]  # (known from, observation), sorted
    position: int = 0
    days: dict[str, dict[tuple[datetime, Key], _Bucket]] = field(default_factory=dict)
    hours: dict[str, dict[tuple[datetime, Key], _Bucket]] = field(default_factory=dict)
    raw: dict[str, dict[datetime, list[Obs]]] = field(default_factory=dict)
    restricted_ids: frozenset[Any] = frozenset()  # the restricted records' ids
    restricted: dict[str, list[datetime]] = field(default_factory=dict)  # known restricted records' observed_to

    def advance(self, moment: datetime) -> None:
        while self.position < len(self.rows) and self.rows[self.position][0] <= moment:
            obs = self.rows[self.position][1]
            self.position += 1
            if obs.id in self.restricted_ids:
                self.restricted.setdefault(obs.metric, []).append(obs.observed_to)
            for table, start in ((self.days, day_start(obs.observed_to)), (self.hours, hour_start(obs.observed_to))):
                slot = table.setdefault(obs.metric, {})
                bucket = slot.get((start, obs.key))
                aggregate = obs.aggregate(exact=False)
                if bucket is None:
                    slot[(start, obs.key)] = _Bucket(obs.key, obs.observed_to, obs.observed_to, aggregate, 1)
                else:
                    bucket.aggregate.merge(aggregate)
                    bucket.newest = max(bucket.newest, obs.observed_to)
                    bucket.oldest = min(bucket.oldest, obs.observed_to)
                    bucket.records += 1
            self.raw.setdefault(obs.metric, {}).setdefault(hour_start(obs.observed_to), []).append(obs)

    def rests_on_restricted(self, spec: ClauseSpec, now: datetime) -> bool:
        """``verdicts.evaluation.rests_on_restricted`` as it answered then: known restricted evidence of the
        clause's metric lies in its window."""
        start = now - timedelta(days=spec.window_days)
        return any(observed_to >= start for observed_to in self.restricted.get(spec.metric, ()))

    def verdict(self, spec: ClauseSpec, now: datetime) -> Any:
        """``verdicts.evaluation.clause_verdict`` over these summaries (same parts, same pure function)."""
        hours, days = edge_hours(spec, now), edge_days(spec, now)
        first_day = day_start(now - timedelta(days=spec.window_days))
        last_day = day_start(now + FUTURE_SKEW)
        day_parts = []
        for (start, _key), bucket in self.days.get(spec.metric, {}).items():
            if first_day <= start <= last_day and start not in days:
                day_parts.append((start, bucket.part()))
        hour_parts = []
        for (start, _key), bucket in self.hours.get(spec.metric, {}).items():
            if day_start(start) in days and start not in hours:
                hour_parts.append((start, bucket.part()))
        raw = [obs for hour in hours for obs in self.raw.get(spec.metric, {}).get(hour, [])]
        parts = parts_for(spec, now, day_buckets=day_parts, hour_buckets=hour_parts, edge_observations=raw)
        return evaluate_parts(spec, parts, now, exact=False)


def knowledge_for(agent_id: int) -> str:
    """``observed`` when the history was evaluated after the fact: a verdict counted evidence before any of the
    agent's evidence had been received."""
    first = (
        EvidenceRecord.objects.filter(agent_id=agent_id)
        .order_by("received_at")
        .values_list("received_at", flat=True)[:1]
    )
    first_received = next(iter(first), None)
    if first_received is None:
        return RECEIVED
    early = Verdict.objects.filter(agent_id=agent_id, used_records__gt=0, computed_at__lt=first_received).exists()
    return OBSERVED if early else RECEIVED


# --- the history as loaded ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    pk: int
    pact_id: int
    number: int
    status: str
    effective_from: datetime | None
    retired_at: datetime | None
    review_by: datetime | None
    specs: tuple[ClauseSpec, ...]
    severity: Mapping[str, str]
    on_breach: Mapping[str, Any]
    on_stale: Mapping[str, Any]

    def in_force_statuses(self, at: datetime) -> bool:
        if self.status == PactVersion.Status.DRAFT or self.effective_from is None or self.effective_from > at:
            return False
        return self.retired_at is None or self.retired_at > at


@dataclass(frozen=True)
class Row:
    """One verdict row (written on a change of status, value, samples or version, as the portal writes them)."""

    pact_id: int
    version_id: int
    clause_id: str
    status: str
    at: datetime
    measured: float | None = None
    samples: int = 0
    id: int = 0
    freshest_at: datetime | None = None
    disputed: bool = False


def load_versions(agent_id: int) -> dict[int, VersionInfo]:
    versions = list(PactVersion.objects.filter(pact__agent_id=agent_id).order_by("pact_id", "number"))
    return {v.pk: version_info(v) for v in versions}


def version_info(version: PactVersion) -> VersionInfo:
    clauses = list(PactClause.objects.filter(version=version))
    return VersionInfo(
        pk=version.pk,
        pact_id=version.pact_id,
        number=version.number,
        status=version.status,
        effective_from=version.effective_from,
        retired_at=version.retired_at,
        review_by=getattr(version, "review_by", None),
        specs=tuple(ClauseSpec.from_row(c.as_row()) for c in clauses),
        severity={c.clause_id: c.severity for c in clauses},
        on_breach={c.clause_id: c.on_breach for c in clauses},
        on_stale={c.clause_id: c.on_stale for c in clauses},
    )


def in_force(versions: Iterable[VersionInfo], pact_id: int, at: datetime) -> VersionInfo | None:
    """``PactVersion.objects.in_force`` as it answered at ``at``: of the versions published by then and not yet
    retired, the highest-numbered whose effective_from has come."""
    found = [v for v in versions if v.pact_id == pact_id and v.in_force_statuses(at)]
    return max(found, key=lambda v: v.number, default=None)


def _same(previous: Row, status: str, measured: float | None, samples: int, version_id: int) -> bool:
    if previous.version_id != version_id or previous.status != status or previous.samples != samples:
        return False
    if previous.measured is None or measured is None:
        return previous.measured is measured
    return math.isclose(previous.measured, measured, rel_tol=1e-9, abs_tol=1e-12)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def score_intervals(
    rows: Sequence[Row], severities: Mapping[int, Mapping[str, str]], ends: Mapping[int, datetime], now: datetime
) -> list[core.Interval]:
    """``reputation.services.score_inputs``' intervals, over rows in memory: each status held from its row to the
    clause's next row, clipped to the look-back and the version's retirement, consecutive equal ones merged."""
    half_life = float(getattr(settings, "SCORE_HALF_LIFE_DAYS", 30.0))
    since = now - timedelta(days=8 * half_life)
    ordered = sorted((r for r in rows if r.at <= now), key=lambda r: (r.pact_id, r.clause_id, r.at, r.id))
    earlier: dict[tuple[int, str], Row] = {}
    recent: list[Row] = []
    for row in ordered:
        if row.at < since:
            earlier[(row.pact_id, row.clause_id)] = row
        else:
            recent.append(row)
    history = sorted([*earlier.values(), *recent], key=lambda r: (r.pact_id, r.clause_id, r.at, r.id))
    intervals: list[list[Any]] = []
    for position, row in enumerate(history):
        following = history[position + 1] if position + 1 < len(history) else None
        same_clause = following is not None and (following.pact_id, following.clause_id) == (
            row.pact_id,
            row.clause_id,
        )
        end = following.at if following is not None and same_clause else now
        if row.version_id in ends:
            end = min(end, ends[row.version_id])
        start = max(row.at, since)
        weights = {c: core.SEVERITY_WEIGHTS.get(s, 1.0) for c, s in severities.get(row.version_id, {}).items()}
        share = weights.get(row.clause_id, 1.0) / (sum(weights.values()) or 1.0)
        if end < start or (end == start and same_clause):
            continue
        last = intervals[-1] if intervals else None
        if (
            last is not None
            and last[4] == (row.pact_id, row.clause_id)
            and last[2] == row.status
            and last[3] == share
            and _iso(last[1]) == _iso(start)
        ):
            last[1] = end
            continue
        intervals.append([start, end, row.status, share, (row.pact_id, row.clause_id)])
    # The portal stores the times as ISO text (microseconds kept) and recomputes from it: the same instants.
    return [core.Interval(start, end, status, share) for start, end, status, share, _ in intervals]


def _says_downgrade(actions: Any) -> bool:
    return any(
        (isinstance(action, dict) and action.get("action") == "downgrade") or action == "downgrade"
        for action in actions or []
    )


# --- the replay ----------------------------------------------------------------------------------------------------


@dataclass
class Result:
    rows: list[Row]  # the replayed pact's verdict rows
    tiers: list[tuple[datetime, str, str]]  # (at, tier, reason) changes, starting from the first tier
    decisions: list[tuple[datetime, str, list[str]]]  # (at, allow/deny, reasons) changes
    moments: int
    knowledge: str


def replay(
    *,
    agent: Agent,
    pact: Pact,
    version: PactVersion | None,
    policy_rules: Mapping[str, Any] | None = None,
    knowledge: str | None = None,
    until: datetime,
    progress: Callable[[float], None] | None = None,
    sees_restricted: bool = True,
) -> Result:
    """Replay ``pact`` under ``version`` (None: the versions actually in force) from the agent's first verdict to
    ``until``; with ``policy_rules``, the decisions that policy would have answered at each moment.

    ``sees_restricted`` False (a requester who may not see the agent's restricted evidence): the policy decides
    over the verdicts as that requester is shown them (``verdicts.selectors.shown``): a clause resting on
    restricted evidence keeps its status, its freshness is withheld, as the portal's own decisions for that
    reader withhold it; no value derived from restricted evidence reaches the replay."""
    agent_id = agent.pk
    knowledge = knowledge or knowledge_for(agent_id)
    versions = load_versions(agent_id)
    substitute = version_info(version) if version is not None else None
    pacts = {p.pk: p for p in Pact.objects.filter(agent_id=agent_id)}
    actual_rows = [
        Row(v.pact_id, v.pact_version_id, v.clause_id, v.status, v.computed_at, v.measured, v.samples, v.pk)
        for v in Verdict.objects.filter(agent_id=agent_id, computed_at__lte=until).order_by("computed_at", "id")
    ]
    loaded = list(
        EvidenceRecord.objects.filter(agent_id=agent_id, received_at__lte=until).only(
            *OBSERVATION_FIELDS, "received_at", "visibility"
        )
    )
    records = [(r.received_at, r.observed_to, observation(r)) for r in loaded]
    restricted_ids = frozenset(r.pk for r in loaded if r.visibility == Visibility.RESTRICTED)
    known_from = [
        (received if knowledge == RECEIVED else observed - FUTURE_SKEW, obs) for received, observed, obs in records
    ]
    known = KnownEvidence(
        sorted(known_from, key=lambda pair: (pair[0], pair[1].id)),
        restricted_ids=frozenset() if sees_restricted else restricted_ids,
    )

    recorded = sorted(
        {r.at for r in actual_rows}
        | set(ScoreEvent.objects.filter(agent_id=agent_id, at__lte=until).values_list("at", flat=True))
        | set(TierChange.objects.filter(agent_id=agent_id, at__lte=until).values_list("at", flat=True))
    )
    if not recorded:
        return Result([], [], [], 0, knowledge)
    moments = set(recorded)
    if knowledge == RECEIVED:
        for received, _observed, _obs in records:
            following = bisect.bisect_left(recorded, received)
            if following >= len(recorded) or recorded[following] - received > ARRIVAL_SLACK:
                moments.add(received)
    start = recorded[0]
    if substitute is not None:
        moments |= _breakpoints(substitute, versions, pact.pk, records, recorded, knowledge, start, until)
    ordered = sorted(m for m in moments if start <= m <= until)

    other_rows = [r for r in actual_rows if r.pact_id != pact.pk]
    replayed: list[Row] = []
    current: dict[str, Row] = {}
    severities: dict[int, dict[str, str]] = {pk: dict(v.severity) for pk, v in versions.items()}
    ends = {pk: v.retired_at for pk, v in versions.items() if v.retired_at is not None}
    if substitute is not None:
        severities[substitute.pk] = dict(substitute.severity)
    state = core.TierState("unverified")
    tiers: list[tuple[datetime, str, str]] = []
    decisions: list[tuple[datetime, str, list[str]]] = []
    upgrade_days = float(getattr(settings, "TIER_UPGRADE_DAYS", 14.0))
    from reputation import services as reputation_services

    for index, moment in enumerate(ordered):
        known.advance(moment)
        actual_version = in_force(versions.values(), pact.pk, moment)
        running = substitute if (substitute is not None and actual_version is not None) else actual_version
        if running is not None:
            overridden = verdict_hooks.overridden_clauses(agent_id, moment)
            for spec in running.specs:
                computed = known.verdict(spec, moment)
                if (pact.pk, spec.clause_id) in overridden:
                    computed = replace(computed, status=overridden[(pact.pk, spec.clause_id)][0])
                previous = current.get(spec.clause_id)
                if previous is not None and _same(
                    previous, computed.status, computed.measured, computed.samples, running.pk
                ):
                    continue
                row = Row(
                    pact.pk,
                    running.pk,
                    spec.clause_id,
                    computed.status,
                    moment,
                    computed.measured,
                    computed.samples,
                    -(len(replayed) + 1),
                    computed.freshest_at,
                )
                replayed.append(row)
                current[spec.clause_id] = row
        # The trust loop at this moment: the score over every pact's rows (the replayed pact's replayed), the
        # standing from the current statuses, then the tier rules.
        rows_now = [r for r in other_rows if r.at <= moment] + replayed
        penalties = [
            core.Penalty(_time(p[0]), float(p[1]))
            for source in reputation_services.penalty_sources
            for p in source(agent_id, moment - timedelta(days=8 * reputation_services.half_life_days()), moment)
        ]
        stale_spans, pact_stale, standing_versions = _pact_state(pacts, versions, moment)
        result = core.compute(
            score_intervals(rows_now, severities, ends, moment),
            moment,
            half_life_days=reputation_services.half_life_days(),
            stale_pact=stale_spans,
            penalties=penalties,
        )
        standing_map = dict(standing_versions)
        if substitute is not None and pact.pk in standing_map:
            standing_map[pact.pk] = substitute
        standing = _standing(
            standing_map,
            {(r.pact_id, r.clause_id): r for r in sorted(rows_now, key=lambda r: (r.at, r.id))},
            pact_stale,
            tuple(cap for source in reputation_services.tier_caps for cap in source(agent_id, moment)),
        )
        target, why = core.target_tier(standing, result.lower_bound)
        new_state, change = core.next_tier(state, target, why, moment, upgrade_days=upgrade_days)
        if new_state.tier != state.tier:
            tiers.append((moment, new_state.tier, change or why))
        state = new_state
        if policy_rules is not None:
            withheld = {
                spec.clause_id for spec in (running.specs if running else ()) if known.rests_on_restricted(spec, moment)
            }
            answer, reasons = _decide(agent, policy_rules, state.tier, result, current, running, moment, withheld)
            if not decisions or decisions[-1][1] != answer:
                decisions.append((moment, answer, reasons))
        if progress is not None and (index % 25 == 0 or index == len(ordered) - 1):
            progress((index + 1) / len(ordered))
    return Result(replayed, tiers, decisions, len(ordered), knowledge)


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _standing(
    in_force_versions: Mapping[int, VersionInfo],
    latest: Mapping[tuple[int, str], Row],
    pact_stale: bool,
    caps: tuple[tuple[str, str], ...],
) -> core.Standing:
    """``reputation.services._standing`` as it answered then: the current rows under the versions in force."""
    if not in_force_versions:
        return core.Standing(has_pact=False, has_verdicts=False)
    failing: list[str] = []
    downgrading: list[str] = []
    any_current = False
    for pact_id, info in in_force_versions.items():
        for clause_id in info.severity:
            row = latest.get((pact_id, clause_id))
            if row is None or row.version_id != info.pk:
                continue
            any_current = True
            if row.status not in FAILING:
                continue
            if info.severity[clause_id] == "critical":
                failing.append(clause_id)
            elif _says_downgrade(info.on_breach[clause_id] if row.status == "breached" else info.on_stale[clause_id]):
                downgrading.append(clause_id)
    return core.Standing(
        has_pact=True,
        has_verdicts=any_current,
        failing_critical=tuple(sorted(failing)),
        pact_stale=pact_stale,
        downgrading=tuple(sorted(downgrading)),
        ruling_caps=caps,
    )


def _pact_state(
    pacts: Mapping[int, Pact], versions: Mapping[int, VersionInfo], moment: datetime
) -> tuple[list[tuple[datetime, datetime]], bool, dict[int, VersionInfo]]:
    """Stale-pact spans for the score, whether a pact in force was overdue, and the versions in force (of the
    pacts with no version retired by then, as the standing reads them)."""
    half_life = float(getattr(settings, "SCORE_HALF_LIFE_DAYS", 30.0))
    since = moment - timedelta(days=8 * half_life)
    spans: list[tuple[datetime, datetime]] = []
    stale = False
    standing: dict[int, VersionInfo] = {}
    for pact_id, pact in pacts.items():
        own = [v for v in versions.values() if v.pact_id == pact_id]
        current = in_force(own, pact_id, moment)
        if current is None:
            continue
        retired = any(v.retired_at is not None and v.retired_at <= moment for v in own)
        due = current.review_by
        reviewed = pact.last_reviewed_at
        if (
            reviewed is not None
            and current.effective_from is not None
            and current.effective_from <= reviewed <= moment
            and pact.review_due_at is not None
        ):
            due = pact.review_due_at
        if not retired:
            standing[pact_id] = current
            if due is not None and due <= moment:
                stale = True
                spans.append((max(due, since), moment))
    return spans, stale, standing


def _decide(
    agent: Agent,
    rules: Mapping[str, Any],
    tier: str,
    result: core.Score,
    current: Mapping[str, Row],
    running: VersionInfo | None,
    moment: datetime,
    withheld: set[str] | frozenset[str] = frozenset(),
) -> tuple[str, list[str]]:
    """The policy's answer at ``moment`` through its own pure function (``decision_evaluate``), open disputes
    left out (not kept as history); the ``withheld`` clauses' freshness withheld, as ``shown`` withholds it."""
    from reputation.models import Reputation
    from reputation.policies import decision_evaluate

    reputation = Reputation(
        agent=agent, tier=tier, score=result.score, lower_bound=result.lower_bound, computed_at=moment
    )
    clause_ids = set(running.severity) if running is not None else set()
    verdicts = []
    for clause_id, row in current.items():
        if clause_id not in clause_ids:
            continue
        hidden = clause_id in withheld
        verdict = Verdict(
            clause_id=row.clause_id,
            status=row.status,
            freshest_at=None if hidden else row.freshest_at,
            disputed=row.disputed,
        )
        if hidden:
            verdict.withheld = True  # type: ignore[attr-defined]
        verdicts.append(verdict)
    rules_now = {k: v for k, v in rules.items() if k != "max_open_disputes"}
    if not rules_now:
        return "allow", ["every condition passed"]
    evaluated = decision_evaluate(
        rules=dict(rules_now), agent=agent, reputation=reputation, verdicts=verdicts, now=moment
    )
    return evaluated.result, list(evaluated.reasons)


def _breakpoints(
    substitute: VersionInfo,
    versions: Mapping[int, VersionInfo],
    pact_id: int,
    records: Sequence[tuple[datetime, datetime, Obs]],
    recorded: Sequence[datetime],
    knowledge: str,
    start: datetime,
    until: datetime,
) -> set[datetime]:
    """Moments at which a replayed clause unlike every clause in force changes with time, each discovered at the
    next portal moment or one sweep later."""
    sweep = timedelta(seconds=int(getattr(settings, "VERDICT_SWEEP_SECONDS", 900)))
    actual = {
        (s.metric, s.window_days, s.max_evidence_age_days, s.evidence_kinds)
        for v in versions.values()
        if v.pact_id == pact_id
        for s in v.specs
    }
    found: set[datetime] = set()
    for spec in substitute.specs:
        if (spec.metric, spec.window_days, spec.max_evidence_age_days, spec.evidence_kinds) in actual:
            continue
        for received, observed, obs in records:
            if obs.metric != spec.metric:
                continue
            entering = received if knowledge == RECEIVED else observed - FUTURE_SKEW
            for point in (
                entering,
                observed + timedelta(days=spec.window_days),
                observed + timedelta(days=spec.max_evidence_age_days),
            ):
                if not start <= point <= until:
                    continue
                following = bisect.bisect_left(recorded, point)
                snapped = point + sweep
                if following < len(recorded):
                    snapped = min(snapped, recorded[following])
                found.add(min(snapped, until))
    return found
