"""Evaluation cost: after 1,000 new records, with 10k vs 1M records already stored (goal ratio ≤ 1.5),
and a full sweep over 1,000 agents × 5 clauses.

Evaluation reads hour buckets in the window plus the raw records of the few hours at its edges, so its
cost should follow the new evidence and the window, not the history.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from _setup import database_url, django_on, recreate_database

PACT = {
    "schema": "pact/v1",
    "title": "Benchmark pact",
    "consequence_level": "medium",
    "review_every_days": 90,
    "obligations": [
        {
            "id": "success",
            "title": "Succeeds",
            "metric": "task_success",
            "aggregation": "rate",
            "comparator": ">=",
            "threshold": 0.9,
            "window_days": 30,
            "min_samples": 100,
            "max_evidence_age_days": 7,
            "severity": "major",
            "evidence_kinds": ["telemetry"],
        },
        {
            "id": "latency",
            "title": "Is fast",
            "metric": "latency_ms",
            "aggregation": "p95",
            "comparator": "<=",
            "threshold": 1500,
            "window_days": 30,
            "min_samples": 100,
            "max_evidence_age_days": 7,
            "severity": "minor",
            "evidence_kinds": ["telemetry"],
        },
        {
            "id": "quality",
            "title": "Is accurate",
            "metric": "quality",
            "aggregation": "mean",
            "comparator": ">=",
            "threshold": 0.8,
            "metric_kind": "numeric",
            "window_days": 30,
            "min_samples": 10,
            "max_evidence_age_days": 14,
            "severity": "major",
            "evidence_kinds": ["telemetry"],
        },
        {
            "id": "volume",
            "title": "Is used",
            "metric": "task_success",
            "aggregation": "count",
            "comparator": ">=",
            "threshold": 100,
            "window_days": 14,
            "min_samples": 1,
            "max_evidence_age_days": 7,
            "severity": "minor",
            "evidence_kinds": ["telemetry"],
        },
        {
            "id": "worst-latency",
            "title": "Never hangs",
            "metric": "latency_ms",
            "aggregation": "max",
            "comparator": "<=",
            "threshold": 30000,
            "window_days": 7,
            "min_samples": 10,
            "max_evidence_age_days": 3,
            "severity": "critical",
            "evidence_kinds": ["telemetry"],
        },
    ],
}
METRICS = ("task_success", "latency_ms", "quality")


def records(count: int, *, start: datetime, end: datetime, rng: random.Random) -> list[dict]:
    """count records spread evenly over [start, end), in time order (so a batch touches few buckets)."""
    step = (end - start) / max(count, 1)
    out = []
    for i in range(count):
        moment = start + step * i
        metric = METRICS[i % 3]
        record = {
            "kind": "telemetry",
            "metric": metric,
            "observed_from": (moment - timedelta(minutes=5)).isoformat(),
            "observed_to": moment.isoformat(),
        }
        if metric == "task_success":
            record.update(successes=rng.randint(45, 50), trials=50)
        elif metric == "latency_ms":
            record["values"] = [round(rng.lognormvariate(6.6, 0.3), 1) for _ in range(3)]
        else:
            record["value"] = round(rng.uniform(0.75, 0.95), 3)
        out.append(record)
    return out


def fill(agent, user, count: int, *, start: datetime, end: datetime, rng: random.Random) -> float:
    from evidence.services import evidence_submit

    batch = records(count, start=start, end=end, rng=rng)
    began = time.perf_counter()
    for first in range(0, len(batch), 1000):
        evidence_submit(agent=agent, items=batch[first : first + 1000], user=user)
    return len(batch) / (time.perf_counter() - began)


def timed_evaluation(agent_id: int, rounds: int, now: datetime) -> float:
    from verdicts.evaluation import agent_evaluate

    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        agent_evaluate(agent_id=agent_id, now=now)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    url = database_url()
    recreate_database(url)
    django_on(url)
    from celery import current_app
    from django.db import connection

    from accounts.services import member_create, organization_get_or_create
    from evidence.models import MetricBucket
    from pacts.services import agent_create, pact_create, pact_version_publish
    from verdicts.models import Verdict
    from verdicts.tasks import sweep_verdicts

    current_app.conf.task_always_eager = True
    rng = random.Random(7)
    now = datetime.now(UTC)
    org, _ = organization_get_or_create(name="Bench Vendor", kind="vendor")
    user = member_create(username="bench", password=None, organization=org, role="owner")

    def agent_with_pact(slug: str):
        agent = agent_create(user=user, name=slug, slug=slug)
        pact = pact_create(agent=agent, user=user, title="p", document=PACT)
        pact_version_publish(version=pact.versions.get(), user=user, now=now - timedelta(days=400))
        return agent

    small, large = agent_with_pact("small-history"), agent_with_pact("large-history")
    history_start, history_end = now - timedelta(days=365), now - timedelta(hours=2)
    print(f"loading {args.small:,} + {args.large:,} historical records …", flush=True)
    fill(small, user, args.small, start=history_start, end=history_end, rng=rng)
    rate = fill(large, user, args.large, start=history_start, end=history_end, rng=rng)
    print(f"  (in-process ingest incl. bucket upkeep: {rate:,.0f} records/s)")
    for agent in (small, large):
        fill(agent, user, 1000, start=now - timedelta(minutes=50), end=now - timedelta(minutes=1), rng=rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    buckets = {a.slug: MetricBucket.objects.filter(agent=a).count() for a in (small, large)}

    small_time = timed_evaluation(small.pk, args.rounds, now)
    large_time = timed_evaluation(large.pk, args.rounds, now)
    print(
        f"\nevaluate 5 clauses after 1,000 new records, {args.small:,} stored: {small_time * 1000:.1f} ms (median of {args.rounds}; {buckets['small-history']:,} buckets)"
    )
    print(
        f"evaluate 5 clauses after 1,000 new records, {args.large:,} stored: {large_time * 1000:.1f} ms (median of {args.rounds}; {buckets['large-history']:,} buckets)"
    )
    print(f"ratio large / small: {large_time / small_time:.2f}  (goal ≤ 1.5)")

    print(f"\ncreating {args.agents:,} agents with a 5-clause pact and 48 hours of evidence each …", flush=True)
    for i in range(args.agents):
        agent = agent_with_pact(f"sweep-{i:04d}")
        fill(agent, user, 48, start=now - timedelta(hours=48), end=now - timedelta(minutes=5), rng=rng)
    Verdict.objects.all().delete()
    began = time.perf_counter()
    written = sweep_verdicts()
    first = time.perf_counter() - began
    began = time.perf_counter()
    again = sweep_verdicts()
    second = time.perf_counter() - began
    agents = args.agents + 2
    print(
        f"sweep over {agents:,} agents x 5 clauses: {first:.1f} s writing {written:,} verdicts ({first / agents * 1000:.1f} ms per agent); "
        f"again with nothing changed: {second:.1f} s ({again} written)"
    )


if __name__ == "__main__":
    main()
