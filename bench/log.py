"""Transparency-log costs, each against a baseline measured in the same run:

1. ingest with the log append vs without it (goal: ≥ 90 % of the throughput without);
2. offline verification throughput of a bundle (goal: ≥ 2,000 records/s on one core);
3. inclusion-proof time from the database at 10k vs 1M leaves (goal: logarithmic growth).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from _setup import database_url, django_on, recreate_database


def batches(count: int, size: int, start: datetime) -> list[list[dict]]:
    out = []
    for b in range(count):
        rows = []
        for i in range(size):
            moment = start + timedelta(seconds=b * size + i)
            rows.append(
                {
                    "kind": "telemetry",
                    "metric": "task_success",
                    "successes": 50 + i % 10,
                    "trials": 60,
                    "observed_from": (moment - timedelta(minutes=1)).isoformat(),
                    "observed_to": moment.isoformat(),
                }
            )
        out.append(rows)
    return out


def ingest_rate(agent, user, work: list[list[dict]]) -> float:
    from evidence.services import evidence_submit

    began = time.perf_counter()
    for rows in work:
        evidence_submit(agent=agent, items=rows, user=user)
    return sum(len(r) for r in work) / (time.perf_counter() - began)


def grow_log(target: int) -> None:
    """Append synthetic leaves (no records) up to ``target`` leaves, 20k at a time."""
    from django.db import transaction

    from transparency.log import log_append, log_size

    size = log_size()
    while size < target:
        step = min(20_000, target - size)
        with transaction.atomic():
            log_append(datas=[f'{{"leaf":{size + i}}}'.encode() for i in range(step)])
        size += step


def proof_time(size: int, samples: int, rng: random.Random) -> float:
    from transparency.log import DbReader
    from trustcore import merkle

    times = []
    for _ in range(samples):
        index = rng.randrange(size)
        began = time.perf_counter()
        merkle.inclusion_proof(DbReader(size), index, size)  # a fresh reader: every node read from the database
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--bundle-records", type=int, default=5000)
    args = parser.parse_args()

    url = database_url()
    recreate_database(url)
    django_on(url)
    from celery import current_app

    current_app.conf.task_always_eager = False  # queue, don't run, evaluation (as production does)
    current_app.conf.broker_url = "memory://localhost/"
    from accounts.services import member_create, organization_get_or_create
    from evidence import services
    from pacts.services import agent_create

    org, _ = organization_get_or_create(name="Bench Vendor", kind="vendor")
    user = member_create(username="bench", password=None, organization=org, role="owner")
    agent = agent_create(user=user, name="Bench Bot", slug="bench-bot")
    start = datetime.now(UTC) - timedelta(days=20)

    # 1. ingest with vs without the log (alternating rounds, same data shape): the log is reached through
    # evidence's leaf_log hook, so emptying the hook switches it off
    from evidence import hooks
    from transparency import tasks

    real_log = list(hooks.leaf_log)
    # As in production, checkpoints are signed by a worker after the ingest commits, not inside it (tasks run
    # eagerly in this process otherwise); the bundle step below signs one explicitly.
    tasks.sign_checkpoint.delay_on_commit = lambda *args, **kwargs: None  # type: ignore[method-assign]

    def log_off() -> None:
        hooks.leaf_log[:] = []

    def log_on() -> None:
        hooks.leaf_log[:] = real_log

    with_log, without_log = [], []
    for round_ in range(3):
        work = batches(args.batches, 1000, start + timedelta(days=round_ * 2))
        log_off()
        without_log.append(ingest_rate(agent, user, work))
        log_on()
        work = batches(args.batches, 1000, start + timedelta(days=round_ * 2 + 1))
        with_log.append(ingest_rate(agent, user, work))
    w, wo = statistics.median(with_log), statistics.median(without_log)
    print(f"service-level ingest with the log append:    {w:,.0f} records/s (median of 3)")
    print(f"service-level ingest without the log append: {wo:,.0f} records/s")
    print(f"ratio with / without: {w / wo:.1%}  (goal ≥ 90 %)")

    # 1b. the same through the API stack (DRF, JSON parsing, authentication), in-process so the log can be toggled
    from django.conf import settings
    from django.test import Client

    from accounts.services import api_token_create

    settings.ALLOWED_HOSTS = ["*"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='bench').plaintext}")

    def api_rate(work: list[list[dict]]) -> float:
        began = time.perf_counter()
        for rows in work:
            response = client.post(
                f"/api/v1/agents/{agent.slug}/evidence/", data=json.dumps(rows), content_type="application/json"
            )
            assert response.status_code == 201, response.content[:200]
        return sum(len(r) for r in work) / (time.perf_counter() - began)

    api_with, api_without = [], []
    for round_ in range(3):
        log_off()
        api_without.append(api_rate(batches(args.batches, 1000, start + timedelta(days=8 + round_ * 2))))
        log_on()
        api_with.append(api_rate(batches(args.batches, 1000, start + timedelta(days=9 + round_ * 2))))
    aw, awo = statistics.median(api_with), statistics.median(api_without)
    print(f"API ingest with the log append:    {aw:,.0f} records/s (median of 3)")
    print(f"API ingest without the log append: {awo:,.0f} records/s")
    print(f"ratio with / without: {aw / awo:.1%}  (goal ≥ 90 %)")

    # 2. offline verification throughput
    from pacts.demo_documents import SCHEDULER
    from pacts.services import pact_create, pact_version_publish
    from transparency.log import signing_key
    from trustcore.verify import verify_bundle
    from verdicts.bundle import bundle_build

    bundled = agent_create(user=user, name="Bundle Bot", slug="bundle-bot")
    pact = pact_create(agent=bundled, user=user, title="p", document=SCHEDULER)
    pact_version_publish(version=pact.versions.get(), user=user, now=datetime.now(UTC) - timedelta(days=30))
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "telemetry",
            "metric": "booking_success",
            "successes": 95,
            "trials": 100,
            "observed_from": (now - timedelta(minutes=i + 1)).isoformat(),
            "observed_to": (now - timedelta(minutes=i)).isoformat(),
        }
        for i in range(args.bundle_records)
    ]
    for first in range(0, len(rows), 1000):
        services.evidence_submit(agent=bundled, items=rows[first : first + 1000], user=user)
    from transparency.log import checkpoint_sign

    checkpoint_sign()
    bundle = json.loads(json.dumps(bundle_build(user=user, agent=bundled)))
    key = signing_key().public_pem.encode()
    began = time.perf_counter()
    summary = verify_bundle(bundle, key)
    elapsed = time.perf_counter() - began
    print(
        f"\noffline verification: {summary['records']:,} records (proofs at tree size {summary['checkpoint_size']:,}) "
        f"+ {summary['verdicts']} verdicts in {elapsed:.2f} s = {summary['records'] / elapsed:,.0f} records/s on one core (goal ≥ 2,000)"
    )

    # 3. proof time at 10k vs large
    rng = random.Random(3)
    grow_log(10_000)
    small = proof_time(10_000, 300, rng)
    print(f"\ngrowing the log to {args.large:,} leaves …", flush=True)
    grow_log(args.large)
    large = proof_time(args.large, 300, rng)
    expected = math.log2(args.large) / math.log2(10_000)
    print(f"inclusion proof from the database at 10,000 leaves: {small * 1000:.2f} ms (median of 300)")
    print(f"inclusion proof from the database at {args.large:,} leaves: {large * 1000:.2f} ms")
    print(f"ratio: {large / small:.2f} (log2 ratio {expected:.2f}; linear would be {args.large / 10_000:.0f})")


if __name__ == "__main__":
    main()
