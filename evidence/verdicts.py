"""Writes of the interpret layer: hour buckets kept at ingest, and verdicts from them.

``buckets_add`` runs inside the ingest transaction: it summarises the new records per (metric, hour,
evidence key) into ``MetricBucket`` rows (insert-if-missing, then row-locked merge, so concurrent
ingests cannot lose an update). ``agent_evaluate`` computes every clause of every pact in force from
the buckets inside the window plus the raw records of the few hours cut by the window and
freshness boundaries — O(new evidence + buckets in window), never O(all evidence) — and writes a verdict
row only when a clause's status, measured value or sample count changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from evidence.evaluation import (
    BUCKET,
    Aggregate,
    ClauseSpec,
    Key,
    Observation,
    Part,
    bucket_parts_and_edges,
    bucket_start,
    edge_buckets,
    evaluate_parts,
    window,
)
from evidence.evaluation import Verdict as Computed
from evidence.hooks import clauses_under_dispute
from evidence.models import EvidenceRecord, MetricBucket, Verdict
from evidence.validation import CleanRecord
from pacts.models import Agent, Pact, PactVersion

BUCKET_FIELDS = ("metric", "start", "kind", "task", "task_version", "dataset_hash", "scorer", "signed", "counts")


def _slot(record: CleanRecord, *, signed: bool = False) -> tuple[Any, ...]:
    return (
        record.metric,
        bucket_start(record.observed_to),
        record.kind,
        record.task_name,
        record.task_version,
        record.dataset_hash,
        record.scorer,
        signed,
        record.trials is not None,
    )


def buckets_add(*, agent_id: int, records: Iterable[CleanRecord]) -> int:
    """Fold new records into their hour buckets (call inside the ingest transaction). Returns buckets touched."""
    groups: dict[tuple[Any, ...], tuple[Aggregate, datetime, datetime, int]] = {}
    for record in records:
        slot = _slot(record)
        aggregate = Aggregate()
        aggregate.add(value=record.value, values=record.values, successes=record.successes, trials=record.trials)
        if slot in groups:
            existing, newest, oldest, count = groups[slot]
            existing.merge(aggregate)
            groups[slot] = (existing, max(newest, record.observed_to), min(oldest, record.observed_to), count + 1)
        else:
            groups[slot] = (aggregate, record.observed_to, record.observed_to, 1)
    if not groups:
        return 0
    MetricBucket.objects.bulk_create(
        [
            MetricBucket(
                agent_id=agent_id,
                **dict(zip(BUCKET_FIELDS, slot, strict=True)),
                records=0,
                newest=newest,
                oldest=oldest,
                state=Aggregate().to_json(),
            )
            for slot, (_, newest, oldest, _) in groups.items()
        ],
        ignore_conflicts=True,
    )
    condition = Q()
    for slot in groups:
        condition |= Q(**dict(zip(BUCKET_FIELDS, slot, strict=True)))
    locked = MetricBucket.objects.select_for_update().filter(condition, agent_id=agent_id)
    changed = []
    for bucket in locked:
        slot = tuple(getattr(bucket, name) for name in BUCKET_FIELDS)
        if slot not in groups:
            continue
        aggregate, newest, oldest, count = groups[slot]
        merged = Aggregate.from_json(bucket.state)
        merged.merge(aggregate)
        bucket.state = merged.to_json()
        bucket.newest = newest if bucket.records == 0 else max(bucket.newest, newest)
        bucket.oldest = oldest if bucket.records == 0 else min(bucket.oldest, oldest)
        bucket.records += count
        changed.append(bucket)
    MetricBucket.objects.bulk_update(changed, ["state", "newest", "oldest", "records"])
    return len(changed)


def _bucket_part(bucket: MetricBucket) -> tuple[Any, Part]:
    key = Key(
        bucket.kind, bucket.task, bucket.task_version, bucket.dataset_hash, bucket.scorer, bucket.signed, bucket.counts
    )
    return bucket.start, Part(
        key, bucket.newest, bucket.oldest, Aggregate.from_json(bucket.state), records=bucket.records
    )


def observation(record: EvidenceRecord) -> Observation:
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
    )


def _bucket_range(start: datetime) -> tuple[datetime, datetime]:
    return start, start + BUCKET


def clause_verdict(*, agent_id: int, spec: ClauseSpec, now: datetime) -> Computed:
    """Evaluate one clause from buckets plus the raw records of the edge hours."""
    window_start, _ = window(spec, now)
    edges = edge_buckets(spec, now)
    buckets = MetricBucket.objects.filter(
        agent_id=agent_id, metric=spec.metric, start__gte=bucket_start(window_start)
    ).exclude(start__in=edges)
    edge_filter = Q()
    for bucket in edges:
        start, end = _bucket_range(bucket)
        edge_filter |= Q(observed_to__gte=start, observed_to__lt=end)
    edge_records = EvidenceRecord.objects.filter(edge_filter, agent_id=agent_id, metric=spec.metric).only(
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
    )
    parts = bucket_parts_and_edges(
        spec, [_bucket_part(b) for b in buckets], [observation(r) for r in edge_records], now
    )
    return evaluate_parts(spec, parts, now, exact=False)


def _same(previous: Verdict, computed: Computed, version: PactVersion, disputed: bool) -> bool:
    if previous.pact_version_id != version.pk or previous.status != computed.status or previous.disputed != disputed:
        return False
    if previous.samples != computed.samples:
        return False
    if previous.measured is None or computed.measured is None:
        return previous.measured is computed.measured
    return math.isclose(previous.measured, computed.measured, rel_tol=1e-9, abs_tol=1e-12)


def agent_evaluate(*, agent_id: int, now: datetime | None = None) -> list[Verdict]:
    """Evaluate every clause of the agent's pacts in force; returns the verdict rows written (changes only)."""
    now = now or timezone.now()
    disputed = clauses_under_dispute(agent_id)
    written: list[Verdict] = []
    for pact in Pact.objects.filter(agent_id=agent_id):
        version = pact.versions.in_force(at=now).order_by("-number").prefetch_related("clauses").first()
        if version is None:
            continue
        with transaction.atomic():
            Pact.objects.select_for_update().filter(pk=pact.pk).first()  # one evaluation of a pact at a time
            current = {v.clause_id: v for v in Verdict.objects.filter(pact=pact, is_current=True)}
            for clause in version.clauses.all():
                spec = ClauseSpec.from_row(clause.as_row())
                computed = clause_verdict(agent_id=agent_id, spec=spec, now=now)
                is_disputed = (pact.pk, spec.clause_id) in disputed
                previous = current.get(spec.clause_id)
                if previous is not None and _same(previous, computed, version, is_disputed):
                    continue
                if previous is not None:
                    Verdict.objects.filter(pk=previous.pk).update(is_current=False)
                written.append(_write(agent_id, pact, version, spec, computed, is_disputed, now))
    return written


def _write(
    agent_id: int, pact: Pact, version: PactVersion, spec: ClauseSpec, computed: Computed, disputed: bool, now: datetime
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
