"""Evidence ingest throughput: the API (1,000-record batches over HTTP) vs raw psycopg COPY of the same rows.

Prints records/s for both and the ratio; the goal is API ≥ 25 % of COPY.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

from _setup import database_url, django_on, gunicorn, recreate_database


def make_batches(count: int, size: int) -> list[bytes]:
    base = datetime.now(UTC) - timedelta(days=30)
    batches = []
    for b in range(count):
        records = []
        for i in range(size):
            start = base + timedelta(seconds=b * size + i)
            record = {
                "kind": "telemetry",
                "metric": "task_success",
                "successes": 50 + i % 10,
                "trials": 60,
                "observed_from": start.isoformat().replace("+00:00", "Z"),
                "observed_to": (start + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
                "source": {"tool": "prod-telemetry", "version": "1.4"},
                "visibility": "public",
            }
            if i % 4 == 0:
                record.pop("successes"), record.pop("trials")
                record["metric"], record["values"] = "latency_ms", [812.0 + i, 1040.5, 390.2]
            records.append(record)
        batches.append(json.dumps(records).encode())
    return batches


def post_all(port: int, token: str, slug: str, batches: list[bytes]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body in batches:
        conn.request("POST", f"/api/v1/agents/{slug}/evidence/", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status != 201:
            raise SystemExit(f"ingest failed: {response.status} {payload[:300]!r}")
    conn.close()


def api_rate(port: int, token: str, slug: str, batches: list[bytes], clients: int) -> float:
    shares = [batches[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=post_all, args=(port, token, slug, share)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return sum(len(json.loads(b)) for b in batches) / elapsed


def copy_rate(url: str, agent_id: int, batches: list[bytes]) -> float:
    import psycopg
    from psycopg.types.json import Jsonb

    columns = [
        "agent_id",
        "kind",
        "metric",
        "value",
        "values",
        "successes",
        "trials",
        "sample_count",
        "observed_from",
        "observed_to",
        "source_tool",
        "source_version",
        "payload",
        "task_name",
        "task_version",
        "dataset_hash",
        "scorer",
        "visibility",
        "attachment_filename",
        "received_at",
        "canonical_hash",
        "canonical",
        "leaf_index",
    ]
    rows_per_batch = []
    for body in batches:
        rows = []
        for r in json.loads(body):
            values = r.get("values")
            rows.append(
                (
                    agent_id,
                    r["kind"],
                    r["metric"],
                    r.get("value"),
                    Jsonb(values) if values is not None else None,
                    r.get("successes"),
                    r.get("trials"),
                    len(values) if values else r.get("trials", 1),
                    r["observed_from"],
                    r["observed_to"],
                    "prod-telemetry",
                    "1.4",
                    Jsonb({}),
                    "",
                    "",
                    "",
                    "",
                    "public",
                    "",
                    datetime.now(UTC),
                    "0" * 64,
                    json.dumps(r, separators=(",", ":"), sort_keys=True),  # the canonical bytes the API keeps too
                    len(rows),
                )
            )
        rows_per_batch.append(rows)
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_copy (LIKE evidence_evidencerecord INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        conn.execute("TRUNCATE bench_copy")
        conn.commit()
        started = time.perf_counter()
        for rows in rows_per_batch:
            with conn.cursor() as cur, cur.copy(f"COPY bench_copy ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
        elapsed = time.perf_counter() - started
    return sum(len(rows) for rows in rows_per_batch) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    url = database_url()
    recreate_database(url)
    django_on(url)
    from accounts.services import api_token_create, member_create, organization_get_or_create
    from evidence.models import EvidenceRecord
    from pacts.services import agent_create

    org, _ = organization_get_or_create(name="Bench Vendor", kind="vendor")
    user = member_create(username="bench", password=None, organization=org, role="owner")
    agent = agent_create(user=user, name="Bench Bot", slug="bench-bot")
    token = api_token_create(user=user, name="bench").plaintext

    api, copy = [], []
    with gunicorn(url, workers=args.workers) as port:
        post_all(port, token, agent.slug, make_batches(2, args.size))  # warm-up: imports, connections
        for round_ in range(args.rounds):
            batches = make_batches(args.batches, args.size)
            api.append(api_rate(port, token, agent.slug, batches, args.clients))
            copy.append(copy_rate(url, agent.pk, batches))
            print(
                f"round {round_ + 1}: API {api[-1]:,.0f} records/s · COPY {copy[-1]:,.0f} records/s · ratio {api[-1] / copy[-1]:.1%}"
            )
    stored = EvidenceRecord.objects.filter(agent=agent).count()
    api_median, copy_median = statistics.median(api), statistics.median(copy)
    print(
        f"\nrecords stored through the API: {stored:,} ({args.rounds} rounds x {args.batches} batches x {args.size} + warm-up)"
    )
    print(
        f"API ingest (HTTP, gunicorn {args.workers} workers, {args.clients} clients): {api_median:,.0f} records/s (median)"
    )
    print(f"psycopg COPY into a scratch table:                   {copy_median:,.0f} records/s (median)")
    print(f"ratio API / COPY: {api_median / copy_median:.1%}  (goal ≥ 25 %)")


if __name__ == "__main__":
    main()
