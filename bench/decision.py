"""Access decisions: GET /api/v1/agents/{agent}/decision/?policy=ID (logged, with and without a signed receipt)
against a bare Django JSON view (/healthz) on the same gunicorn, in the same run.

Prints requests/s, p50 and p99 for each, the ratios to the bare view (goal: decisions >= 50 % of its
requests/s), and the queries one decision costs (counted in-process with the same code).

The three are measured in turns of ``--slice`` seconds (bare, decision, receipt, then the next turn in the next
order), not one after the other for seconds each: on a machine whose speed drifts (a shared virtual machine), a
ratio of measurements made seconds apart says as much about the drift as about the code. Each round prints its
ratios; the summary takes every turn of every round, and the spread of the per-turn ratios shows how steady the
machine was.
"""

from __future__ import annotations

import argparse
import copy
import http.client
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
    parser.add_argument("--seconds", type=float, default=8.0, help="per target and round, in turns of --slice")
    parser.add_argument("--slice", type=float, default=0.5, help="seconds of one turn")
    parser.add_argument(
        "--pause", type=float, default=0.5, help="idle seconds before each turn (what one left running settles)"
    )
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
    names = list(targets)
    turns = max(1, round(args.seconds / args.slice))
    counted: dict[str, list[tuple[float, int]]] = {name: [] for name in names}  # per turn: (seconds, requests)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    with gunicorn(url, workers=args.workers) as port:
        for path, headers in targets.values():
            hammer(port, path, headers, 1.0, args.clients)  # warm-up: imports, connections, caches
        for round_ in range(args.rounds):
            for turn in range(turns):
                for name in names[turn % 3 :] + names[: turn % 3]:  # each target first, second and third in turn
                    path, headers = targets[name]
                    time.sleep(args.pause)
                    rate, lat = hammer(port, path, headers, args.slice, args.clients)
                    counted[name].append((len(lat) / rate, len(lat)))
                    latencies[name].extend(lat)
            mine = {name: counted[name][-turns:] for name in names}
            rates = {name: sum(n for _, n in mine[name]) / sum(t for t, _ in mine[name]) for name in names}
            line = " · ".join(f"{name} {rates[name]:,.0f}/s" for name in names)
            print(f"round {round_ + 1}: {line} · decision {rates['decision'] / rates['bare /healthz']:.1%} of bare")

    def rate_of(name: str) -> float:
        return sum(n for _, n in counted[name]) / sum(t for t, _ in counted[name])

    bare = rate_of("bare /healthz")
    print(
        f"\ngunicorn {args.workers} workers, {args.clients} keep-alive clients, {args.rounds} round(s) of {turns} "
        f"turns of {args.slice:g} s per target"
    )
    for name in names:
        rate = rate_of(name)
        lat = sorted(latencies[name])
        per_turn = sorted(
            (n / t) / (nb / tb) for (t, n), (tb, nb) in zip(counted[name], counted["bare /healthz"], strict=True)
        )
        spread = f"  per turn {per_turn[len(per_turn) // 4]:.0%}–{per_turn[(3 * len(per_turn)) // 4]:.0%} (IQR)"
        print(
            f"{name:20s} {rate:8,.0f} requests/s  p50 {percentile(lat, 0.5):6.2f} ms  "
            f"p99 {percentile(lat, 0.99):6.2f} ms  ratio to bare {rate / bare:6.1%}"
            + (spread if name != "bare /healthz" else "")
        )
    print(
        f"queries per decision: {plain_q} (with receipt: {receipt_q}), besides transaction control (the "
        "connection health check asks the socket, trust_portal.postgresql: no SELECT 1); "
        "goal: decision >= 50 % of bare"
    )


if __name__ == "__main__":
    main()
