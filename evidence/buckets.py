"""Metric buckets kept at ingest: mergeable summaries per (metric, hour or day, evidence key).

``buckets_add`` runs inside the ingest transaction: it summarises the new records per (metric, hour,
evidence key) into ``MetricBucket`` rows (insert-if-missing, then row-locked merge, so concurrent
ingests cannot lose an update), and the day buckets above them. Evaluation (``verdicts.evaluation``)
reads O(days in the window) buckets instead of every record ever.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
from django.db import connection

from evidence.models import MetricBucket
from evidence.validation import CleanRecord
from trustcore.evaluator import Aggregate, day_start, hour_start

BUCKET_FIELDS = (
    "span",
    "metric",
    "start",
    "kind",
    "task",
    "task_version",
    "dataset_hash",
    "scorer",
    "signed",
    "counts",
)


def buckets_add(*, agent_id: int, records: Iterable[CleanRecord]) -> int:
    """Fold new records into their hour and day buckets (call inside the ingest transaction). Returns buckets touched."""
    hours: dict[tuple[Any, ...], list[Any]] = {}
    for record in records:
        slot = (
            "hour",
            record.metric,
            hour_start(record.observed_to),
            record.kind,
            record.task_name,
            record.task_version,
            record.dataset_hash,
            record.scorer,
            record.signed_by is not None,
            record.trials is not None,
        )
        group = hours.get(slot)
        if group is None:
            group = hours[slot] = [Aggregate(), record.observed_to, record.observed_to, 0]
        group[0].add(value=record.value, values=record.values, successes=record.successes, trials=record.trials)
        group[1] = max(group[1], record.observed_to)
        group[2] = min(group[2], record.observed_to)
        group[3] += 1
    groups: dict[tuple[Any, ...], tuple[Aggregate, datetime, datetime, int]] = {}
    days: dict[tuple[Any, ...], list[Any]] = {}
    for slot, (aggregate, newest, oldest, count) in hours.items():
        groups[slot] = (aggregate, newest, oldest, count)
        day_slot = ("day", slot[1], day_start(slot[2]), *slot[3:])
        day = days.get(day_slot)
        if day is None:
            day = days[day_slot] = [Aggregate(), newest, oldest, 0]
        day[0].merge(aggregate)
        day[1], day[2], day[3] = max(day[1], newest), min(day[2], oldest), day[3] + count
    groups.update({slot: (g[0], g[1], g[2], g[3]) for slot, g in days.items()})
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
    # A coarse indexed filter, then the exact slots in Python (a long OR of slots is slow to plan).
    locked = MetricBucket.objects.select_for_update().filter(
        agent_id=agent_id, metric__in={slot[1] for slot in groups}, start__in={slot[2] for slot in groups}
    )
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
    # One prepared UPDATE run many times (psycopg pipelines it): Django's bulk_update builds a CASE per
    # column and row, which costs more than the evaluation it serves once a batch touches many buckets.
    table = MetricBucket._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET state = %s, newest = %s, oldest = %s, records = %s WHERE id = %s",  # noqa: S608 - model table
            [(orjson.dumps(b.state).decode(), b.newest, b.oldest, b.records, b.pk) for b in changed],
        )
    return len(changed)
