"""Evaluation into verdicts: every clause of every pact in force, from the metric buckets kept at ingest.

``agent_evaluate`` computes every clause of every pact in force from
the buckets inside the window plus the raw records of the few hours cut by the window and
freshness boundaries — O(new evidence + buckets in window), never O(all evidence) — and writes a verdict
row only when a clause's status, measured value or sample count changed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from evidence.buckets import BUCKET_FIELDS
from evidence.models import EvidenceRecord, MetricBucket, Visibility
from pacts.models import Agent, Pact, PactVersion
from pacts.selectors import version_in_force
from trustcore.evaluator import (
    DAY,
    HOUR,
    QUANTILES,
    Aggregate,
    ClauseSpec,
    Key,
    Observation,
    Part,
    day_start,
    edge_days,
    edge_hours,
    evaluate_parts,
    parts_for,
    window,
)
from trustcore.evaluator import Verdict as Computed
from verdicts.hooks import after_evaluation, clauses_under_dispute, overridden_clauses
from verdicts.models import Verdict
from verdicts.warnings import warnings_update


def _bucket_part(bucket: MetricBucket, *, sketch: bool) -> tuple[Any, Part]:
    key = Key(
        bucket.kind, bucket.task, bucket.task_version, bucket.dataset_hash, bucket.scorer, bucket.signed, bucket.counts
    )
    aggregate = Aggregate.from_json(bucket.state, sketch=sketch)
    return bucket.start, Part(key, bucket.newest, bucket.oldest, aggregate, records=bucket.records)


# The columns ``observation`` reads: a query that builds observations loads these (``only(*OBSERVATION_FIELDS)``).
OBSERVATION_FIELDS = (
    "id",
    "kind",
    "metric",
    "observed_to",
    "value",
    "values",
    "successes",
    "trials",
    "task_name",
    "task_version",
    "dataset_hash",
    "scorer",
    "signed_by_id",
)


def observation(record: EvidenceRecord) -> Observation:
    """The record as the core evaluator sees it (reads ``OBSERVATION_FIELDS`` only)."""
    return Observation(
        id=record.pk,
        kind=record.kind,
        metric=record.metric,
        observed_to=record.observed_to,
        value=record.value,
        values=tuple(record.values) if record.values is not None else None,
        successes=record.successes,
        trials=record.trials,
        task=record.task_name,
        task_version=record.task_version,
        dataset_hash=record.dataset_hash,
        scorer=record.scorer,
        signed=record.signed_by_id is not None,
    )


def clause_verdict(*, agent_id: int, spec: ClauseSpec, now: datetime) -> Computed:
    """Evaluate one clause: day buckets for whole days, hour buckets for cut days, raw records for cut hours."""
    window_start, _ = window(spec, now)
    hours, days = edge_hours(spec, now), edge_days(spec, now)
    sketch = spec.aggregation in QUANTILES  # only percentiles need the sketches: skip parsing them otherwise
    fields = (*BUCKET_FIELDS, "records", "newest", "oldest", "state")
    buckets = MetricBucket.objects.filter(agent_id=agent_id, metric=spec.metric).only(*fields)
    day_buckets = buckets.filter(span=MetricBucket.Span.DAY, start__gte=day_start(window_start)).exclude(start__in=days)
    hour_filter = Q()
    for day in days:
        hour_filter |= Q(start__gte=day, start__lt=day + DAY)
    hour_buckets = buckets.filter(hour_filter, span=MetricBucket.Span.HOUR).exclude(start__in=hours)
    edge_filter = Q()
    for hour in hours:
        edge_filter |= Q(observed_to__gte=hour, observed_to__lt=hour + HOUR)
    edge_records = EvidenceRecord.objects.filter(edge_filter, agent_id=agent_id, metric=spec.metric).only(
        *OBSERVATION_FIELDS
    )
    parts = parts_for(
        spec,
        now,
        day_buckets=[_bucket_part(b, sketch=sketch) for b in day_buckets],
        hour_buckets=[_bucket_part(b, sketch=sketch) for b in hour_buckets],
        edge_observations=[observation(r) for r in edge_records],
    )
    return evaluate_parts(spec, parts, now, exact=False)


def rests_on_restricted(*, agent_id: int, spec: ClauseSpec, now: datetime) -> bool:
    """Whether restricted evidence lies in the clause's window (used or refused, it shaped the verdict)."""
    window_start, _ = window(spec, now)
    return EvidenceRecord.objects.filter(
        agent_id=agent_id, metric=spec.metric, observed_to__gte=window_start, visibility=Visibility.RESTRICTED
    ).exists()


def _same(previous: Verdict, computed: Computed, version: PactVersion, disputed: bool, restricted: bool) -> bool:
    if previous.pact_version_id != version.pk or previous.status != computed.status or previous.disputed != disputed:
        return False
    if previous.rests_on_restricted != restricted:
        return False
    if previous.samples != computed.samples:
        return False
    if previous.measured is None or computed.measured is None:
        return previous.measured is computed.measured
    return math.isclose(previous.measured, computed.measured, rel_tol=1e-9, abs_tol=1e-12)


@transaction.atomic
def agent_evaluate(*, agent_id: int, now: datetime | None = None) -> list[Verdict]:
    """Evaluate every clause of the agent's pacts in force; returns the verdict rows written (changes only).

    One transaction: the verdicts and what the ``evaluated`` hook derives from them (score, tier) commit
    together, so no reader sees a breach recorded and the old tier still granted.
    """
    now = now or timezone.now()
    disputed = clauses_under_dispute(agent_id)
    overridden = overridden_clauses(agent_id, now)
    written: list[Verdict] = []
    for pact in Pact.objects.filter(agent_id=agent_id):
        version = version_in_force(pact=pact, at=now)
        if version is None:
            continue
        with transaction.atomic():
            Pact.objects.select_for_update().filter(pk=pact.pk).first()  # one evaluation of a pact at a time
            current = {v.clause_id: v for v in Verdict.objects.filter(pact=pact, is_current=True)}
            specs: list[ClauseSpec] = []
            pact_written: list[Verdict] = []
            for clause in version.clauses.all():
                spec = ClauseSpec.from_row(clause.as_row())
                specs.append(spec)
                computed = clause_verdict(agent_id=agent_id, spec=spec, now=now)
                if (pact.pk, spec.clause_id) in overridden:
                    status, note = overridden[(pact.pk, spec.clause_id)]
                    computed = dataclasses.replace(computed, status=status, note=note)
                is_disputed = (pact.pk, spec.clause_id) in disputed
                restricted = rests_on_restricted(agent_id=agent_id, spec=spec, now=now)
                previous = current.get(spec.clause_id)
                if previous is not None and _same(previous, computed, version, is_disputed, restricted):
                    continue
                if previous is not None:
                    Verdict.objects.filter(pk=previous.pk).update(is_current=False)
                pact_written.append(_write(agent_id, pact, version, spec, computed, is_disputed, now, restricted))
            warnings_update(agent_id=agent_id, pact=pact, version=version, specs=specs, now=now, written=pact_written)
            written.extend(pact_written)
    after_evaluation(agent_id, written, now)
    return written


def _write(
    agent_id: int,
    pact: Pact,
    version: PactVersion,
    spec: ClauseSpec,
    computed: Computed,
    disputed: bool,
    now: datetime,
    restricted: bool,
) -> Verdict:
    try:
        with transaction.atomic():
            return Verdict.objects.create(
                agent_id=agent_id,
                pact=pact,
                pact_version=version,
                clause_id=spec.clause_id,
                status=computed.status,
                disputed=disputed,
                measured=computed.measured,
                threshold=spec.threshold,
                comparator=spec.comparator,
                samples=computed.samples,
                min_samples=spec.min_samples,
                window_start=computed.window_start,
                window_end=computed.window_end,
                freshest_at=computed.freshest_at,
                used_records=computed.used_records,
                refused_records=computed.refused_records,
                refusals=[
                    [reason, count] for reason, count in sorted(computed.refusal_counts.items(), key=lambda rc: -rc[1])
                ][:20],
                note=computed.note[:300],
                rests_on_restricted=restricted,
                computed_at=now,
            )
    except IntegrityError:  # another evaluation got there first; the next run reconciles
        return Verdict.objects.get(pact=pact, clause_id=spec.clause_id, is_current=True)


def agents_to_sweep() -> Iterable[int]:
    """Agents with a pact in force: the periodic sweep re-evaluates them (evidence ages with time)."""
    now = timezone.now()
    return (
        Agent.objects.filter(
            pacts__versions__status__in=[PactVersion.Status.PUBLISHED, PactVersion.Status.SUPERSEDED],
            pacts__versions__effective_from__lte=now,
        )
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
