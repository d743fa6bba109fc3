"""Pages under evidence volume: the agent profile (/agents/<slug>/) and the directory (/agents/) with 10k and then
1M evidence records stored, in the same run, on gunicorn over PostgreSQL (goal: p95 at 1M / p95 at 10k ≤ 1.5).

The records are written by SQL (``INSERT … SELECT generate_series``: a year of telemetry for one agent, three
metrics in turn), then folded into the metric buckets by the ingest's own code (``evidence.buckets.buckets_add``,
rows streamed back in time order), then evaluated (``verdicts.evaluation.agent_evaluate``: verdicts, score and tier
as in production). They are not appended to the transparency log (no page measured here reads leaves).
Prints p50/p95/p99 per page and size, the ratio of the p95s, and the queries each page costs (counted
in-process with the same code).
"""

from __future__ import annotations

import argparse
import http.client
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from _setup import database_url, django_on, gunicorn, recreate_database
from evaluate import PACT

HISTORY_DAYS = 365
GOAL = 1.5


@dataclass
class Row:
    """What ``buckets_add`` reads of a record (the fields of ``evidence.validation.CleanRecord`` it uses)."""

    metric: str
    observed_to: datetime
    kind: str
    value: float | None
    values: list[float] | None
    successes: int | None
    trials: int | None
    task_name: str = ""
    task_version: str = ""
    dataset_hash: str = ""
    scorer: str = ""
    signed_by: Any = None


INSERT = """
INSERT INTO evidence_evidencerecord (
    agent_id, kind, metric, value, "values", successes, trials, sample_count, observed_from, observed_to,
    source_tool, source_version, payload, task_name, task_version, dataset_hash, scorer, visibility,
    attachment_filename, received_at, canonical_hash, canonical
)
SELECT %(agent)s, 'telemetry', m.metric,
       CASE WHEN m.metric = 'quality' THEN 0.75 + (g %% 20) / 100.0 END,
       CASE WHEN m.metric = 'latency_ms'
            THEN jsonb_build_array(600 + (g * 13) %% 500, 700 + (g * 7) %% 400, 650 + (g * 11) %% 600) END,
       CASE WHEN m.metric = 'task_success' THEN 45 + (g * 7) %% 6 END,
       CASE WHEN m.metric = 'task_success' THEN 50 END,
       CASE m.metric WHEN 'task_success' THEN 50 WHEN 'latency_ms' THEN 3 ELSE 1 END,
       t.at - interval '5 minutes', t.at,
       'bench', '', '{}'::jsonb, '', '', '', '', 'public', '', t.at, md5(g::text), ''
FROM generate_series(%(first)s, %(last)s) AS g
CROSS JOIN LATERAL (SELECT (ARRAY['task_success', 'latency_ms', 'quality'])[1 + g %% 3] AS metric) AS m
CROSS JOIN LATERAL (SELECT %(start)s::timestamptz + (%(span)s * ((g - %(first)s)::float8 / %(count)s))
                           * interval '1 second' AS at) AS t
"""


def grow(agent_id: int, count: int, *, start: datetime, end: datetime, first_id: int) -> float:
    """Add ``count`` records spread over [start, end) for the agent, their buckets, and a fresh evaluation."""
    from django.db import connection, transaction

    from evidence.buckets import buckets_add
    from evidence.models import EvidenceRecord

    began = time.perf_counter()
    params = {
        "agent": agent_id,
        "first": first_id,
        "last": first_id + count - 1,
        "count": count,
        "start": start,
        "span": (end - start).total_seconds(),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM evidence_evidencerecord")
        above = cursor.fetchone()[0]
        cursor.execute(INSERT, params)  # type: ignore[arg-type]
    fields = ("metric", "observed_to", "kind", "value", "values", "successes", "trials")
    rows = EvidenceRecord.objects.filter(agent_id=agent_id, id__gt=above).order_by("observed_to").values_list(*fields)
    chunk: list[Row] = []
    for values in rows.iterator(chunk_size=20_000):
        chunk.append(Row(*values))
        if len(chunk) == 20_000:
            with transaction.atomic():
                buckets_add(agent_id=agent_id, records=chunk)  # type: ignore[arg-type]
            chunk = []
    if chunk:
        with transaction.atomic():
            buckets_add(agent_id=agent_id, records=chunk)  # type: ignore[arg-type]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - began


def seed(fillers: int) -> tuple[Any, Any, Any]:
    """A vendor with the profiled agent and ``fillers`` more (a directory to list), each with a 5-clause pact; a buyer."""
    from accounts.services import member_create, organization_get_or_create
    from pacts.services import agent_create, pact_create, pact_version_publish

    now = datetime.now(UTC)
    vendor_org, _ = organization_get_or_create(name="Bench Vendor", kind="vendor")
    vendor = member_create(username="bench-vendor", password=None, organization=vendor_org, role="owner")
    buyer_org, _ = organization_get_or_create(name="Bench Buyer", kind="buyer")
    buyer = member_create(username="bench-buyer", password=None, organization=buyer_org, role="owner")

    def agent_with_pact(slug: str) -> Any:
        agent = agent_create(user=vendor, name=slug.replace("-", " ").title(), slug=slug)
        pact = pact_create(agent=agent, user=vendor, title="Bench pact", document=PACT)
        pact_version_publish(version=pact.versions.get(), user=vendor, now=now - timedelta(days=400))
        return agent

    profiled = agent_with_pact("profiled-bot")
    for i in range(fillers):
        agent_with_pact(f"filler-{i:03d}")
    return profiled, vendor, buyer


def session_cookie(user: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def queries(path: str, user: Any) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if user is not None:
        client.force_login(user)
    client.get(path)  # warm
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    control = ("BEGIN", "COMMIT", "SET", "SAVEPOINT", "RELEASE")
    return sum(1 for q in captured if not q["sql"].lstrip().upper().startswith(control))


def timed(port: int, path: str, headers: dict[str, str], requests: int) -> list[float]:
    """``requests`` sequential GETs on one keep-alive connection: latencies in ms, sorted."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = []
    for _ in range(requests):
        began = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status}")
        out.append((time.perf_counter() - began) * 1000)
    conn.close()
    return sorted(out)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000, help="records stored for the first measurement")
    parser.add_argument("--large", type=int, default=1_000_000, help="records stored for the second")
    parser.add_argument("--requests", type=int, default=200, help="per page and size")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--fillers", type=int, default=30, help="more agents in the directory")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    # Pages render {% static %} URLs: without collectstatic's manifest, plain ones (no static file is requested here).
    os.environ["STATIC_MANIFEST"] = "0"
    os.environ["SECRET_KEY"] = "bench-" + "x" * 60  # gunicorn's (bench/_setup.py): it reads the sessions made here
    url = database_url()
    recreate_database(url)
    django_on(url)
    if os.environ.get("BENCH_EXTRA_SQL"):  # try an index (say) on the bench database before writing its migration
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(os.environ["BENCH_EXTRA_SQL"])
    from celery import current_app
    from django.conf import settings

    from verdicts.evaluation import agent_evaluate

    settings.ALLOWED_HOSTS = ["*"]
    current_app.conf.task_always_eager = True
    profiled, vendor, buyer = seed(args.fillers)
    now = datetime.now(UTC)
    start, end = now - timedelta(days=HISTORY_DAYS), now - timedelta(minutes=10)
    pages = {
        "profile, buyer": (f"/agents/{profiled.slug}/", buyer),
        "profile, anonymous": (f"/agents/{profiled.slug}/", None),
        "profile, vendor": (f"/agents/{profiled.slug}/", vendor),
        "directory, buyer": ("/agents/", buyer),
        "directory, anonymous": ("/agents/", None),
    }
    cookies = {buyer.pk: session_cookie(buyer), vendor.pk: session_cookie(vendor)}
    results: dict[tuple[str, int], list[float]] = {}
    query_counts: dict[tuple[str, int], int] = {}
    stored = 0
    for size in (args.small, args.large):
        seconds = grow(profiled.pk, size - stored, start=start, end=end, first_id=stored + 1)
        stored = size
        agent_evaluate(agent_id=profiled.pk)
        print(f"{size:,} records stored ({seconds:.1f} s to insert, bucket and analyse)", flush=True)
        for name, (path, user) in pages.items():
            query_counts[(name, size)] = queries(path, user)
        with gunicorn(url, workers=args.workers) as port:
            for name, (path, user) in pages.items():
                headers = {"Cookie": cookies[user.pk]} if user is not None else {}
                timed(port, path, headers, args.warmup)  # warm-up: imports, connections, caches
                results[(name, size)] = timed(port, path, headers, args.requests)

    print(f"\ngunicorn {args.workers} workers, {args.requests} sequential requests per page and size")
    for name in pages:
        for size in (args.small, args.large):
            lat = results[(name, size)]
            print(
                f"{name:22s} {size:>9,} records  p50 {percentile(lat, 0.5):7.1f} ms  p95 {percentile(lat, 0.95):7.1f} ms"
                f"  p99 {percentile(lat, 0.99):7.1f} ms  {query_counts[(name, size)]} queries"
            )
        ratio = percentile(results[(name, args.large)], 0.95) / percentile(results[(name, args.small)], 0.95)
        verdict = "ok" if ratio <= GOAL else "MISSES THE GOAL"
        print(f"{'':22s} p95 ratio {args.large:,} / {args.small:,}: {ratio:.2f}  (goal ≤ {GOAL}) {verdict}")


if __name__ == "__main__":
    main()
