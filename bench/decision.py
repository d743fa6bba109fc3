"""Access decisions: GET /api/v1/agents/{agent}/decision/?policy=ID (logged, with and without a signed receipt)
against a bare Django JSON view (/healthz) on the same gunicorn, in the same run.

Prints requests/s, p50 and p99 for each, the ratios to the bare view (goal: decisions >= 50 % of its
requests/s), and the queries one decision costs (counted in-process with the same code).
"""

from __future__ import annotations

import argparse
import copy
import http.client
import statistics
import threading
import time
from datetime import timedelta

from _setup import database_url, django_on, gunicorn, recreate_database


def hammer(port: int, path: str, headers: dict[str, str], seconds: float, clients: int) -> tuple[float, list[float]]:
    """``clients`` keep-alive connections asking ``path`` for ``seconds``: (requests/s, latencies in ms)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def run(mine: list[float]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()

    threads = [threading.Thread(target=run, args=(mine,)) for mine in latencies]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(x for mine in latencies for x in mine)
    return len(every) / elapsed, every


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def seed() -> tuple[str, str, int]:
    """A vendor's agent with a pact in force, evidence and verdicts; a buyer with a policy and a token."""
    from django.utils import timezone

    from accounts.services import api_token_create, member_create, organization_get_or_create
    from evidence.services import evidence_submit
    from pacts import services as pact_services
    from pacts.demo_documents import REFUNDS_V1
    from reputation.policies import policy_create
    from verdicts.evaluation import agent_evaluate

    vendor_org, _ = organization_get_or_create(name="Bench Vendor", kind="vendor")
    vendor = member_create(username="bench-vendor", password=None, organization=vendor_org, role="owner")
    buyer_org, _ = organization_get_or_create(name="Bench Buyer", kind="buyer")
    buyer = member_create(username="bench-buyer", password=None, organization=buyer_org, role="owner")
    agent = pact_services.agent_create(user=vendor, name="Bench Bot", slug="bench-bot", consequence_level="high")
    document = copy.deepcopy(REFUNDS_V1)
    document["obligations"] = document["obligations"][:1]  # resolution-rate alone: the agent is allowed
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Bench", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    end = timezone.now() - timedelta(hours=1)
    evidence_submit(
        agent=agent,
        user=vendor,
        items=[
            {
                "kind": "telemetry",
                "metric": "task_success",
                "successes": 570,
                "trials": 600,
                "observed_from": (end - timedelta(days=1)).isoformat(),
                "observed_to": end.isoformat(),
            }
        ],
    )
    agent_evaluate(agent_id=agent.pk)
    policy = policy_create(
        user=buyer,
        organization=buyer_org,
        name="Production use",
        rules={
            "min_tier": "probation",
            "min_lower_bound": 0,
            "max_open_disputes": 0,
            "required_clauses": ["resolution-rate"],
            "max_evidence_age_days": 7,
            "consequence_levels": ["low", "medium", "high"],
        },
    )
    return agent.slug, api_token_create(user=buyer, name="bench").plaintext, policy.pk


def queries_per_decision(slug: str, token: str, policy_id: int) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    counts = []
    for receipt in ("", "&receipt=1"):
        client.get(f"/api/v1/agents/{slug}/decision/?policy={policy_id}{receipt}")  # warm
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/agents/{slug}/decision/?policy={policy_id}{receipt}").status_code == 200
        control = ("BEGIN", "COMMIT", "SET", "SAVEPOINT", "RELEASE")
        counts.append(sum(1 for q in captured if not q["sql"].lstrip().upper().startswith(control)))
    return counts[0], counts[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    url = database_url()
    recreate_database(url)
    django_on(url)
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    slug, token, policy_id = seed()
    plain_q, receipt_q = queries_per_decision(slug, token, policy_id)

    auth = {"Authorization": f"Bearer {token}"}
    targets = {
        "bare /healthz": ("/healthz", {}),
        "decision": (f"/api/v1/agents/{slug}/decision/?policy={policy_id}", auth),
        "decision + receipt": (f"/api/v1/agents/{slug}/decision/?policy={policy_id}&receipt=1", auth),
    }
    results: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in targets}
    with gunicorn(url, workers=args.workers) as port:
        for path, headers in targets.values():
            hammer(port, path, headers, 1.0, args.clients)  # warm-up: imports, connections, caches
        for round_ in range(args.rounds):
            for name, (path, headers) in targets.items():
                results[name].append(hammer(port, path, headers, args.seconds, args.clients))
            line = " · ".join(f"{name} {results[name][-1][0]:,.0f}/s" for name in targets)
            print(f"round {round_ + 1}: {line}")

    bare = statistics.median(rate for rate, _ in results["bare /healthz"])
    print(f"\ngunicorn {args.workers} workers, {args.clients} keep-alive clients, {args.seconds:g} s per measurement")
    for name in targets:
        rate = statistics.median(r for r, _ in results[name])
        latencies = sorted(x for _, lat in results[name] for x in lat)
        print(
            f"{name:20s} {rate:8,.0f} requests/s  p50 {percentile(latencies, 0.5):6.2f} ms  "
            f"p99 {percentile(latencies, 0.99):6.2f} ms  ratio to bare {rate / bare:6.1%}"
        )
    print(
        f"queries per decision: {plain_q} (with receipt: {receipt_q}), besides transaction control (the "
        "connection health check asks the socket, trust_portal.postgresql: no SELECT 1); "
        "goal: decision >= 50 % of bare"
    )


if __name__ == "__main__":
    main()
