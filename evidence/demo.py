"""Demo evidence: 90 days for every published demo agent, from several sources, plus real tool imports.

Refund Bot: daily production telemetry (resolution counts, latency samples), weekly pre-registered policy
evals signed by Acme's registered key (DSSE), restricted monthly attestations (Northwind Bank holds a grant), and a real Inspect AI log.
Code Reviewer: weekly eval runs, daily false-alarm telemetry, and a real promptfoo results file.
Helix Scheduler: daily booking telemetry that stopped ten days ago (its evidence goes stale).
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from accounts.models import Organization, User
from evidence import keyproof, services
from evidence.importers import ImportOptions
from evidence.models import EvidenceRecord
from pacts.models import Agent
from trustcore import dsse

DATA = Path(__file__).parent / "demo_data"
# Real tool output (tests/fixtures/README.md says how it was made); the importer tests read these same files.
INSPECT_EVAL = DATA / "refund_policy_eval.eval"
PROMPTFOO_RESULTS = DATA / "promptfoo-results.json"
DAYS = 90
POLICY_DATASET = "3f1a" * 16  # the dataset the Refund Bot pact pre-registers


def _day(now: Any, days_ago: int) -> tuple[str, str]:
    end = (now - timedelta(days=days_ago)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (end - timedelta(days=1)).isoformat(), end.isoformat()


def _refund_bot(now: Any, rng: random.Random) -> list[dict[str, Any]]:
    records = []
    for days_ago in range(DAYS, 0, -1):
        start, end = _day(now, days_ago)
        rate = 0.955 if days_ago > 12 else 0.905  # a regression in the last twelve days
        trials = rng.randint(180, 260)
        successes = min(trials, round(trials * rng.gauss(rate, 0.01)))
        records.append(
            {
                "kind": "telemetry",
                "metric": "task_success",
                "successes": successes,
                "trials": trials,
                "observed_from": start,
                "observed_to": end,
                "source": {"tool": "prod-telemetry", "version": "1.4"},
            }
        )
        slow = days_ago <= 20  # the payment-provider migration
        latencies = [round(max(80.0, rng.lognormvariate(6.6 if not slow else 7.0, 0.35)), 1) for _ in range(150)]
        records.append(
            {
                "kind": "telemetry",
                "metric": "latency_ms",
                "values": latencies,
                "observed_from": start,
                "observed_to": end,
                "source": {"tool": "prod-telemetry", "version": "1.4"},
            }
        )
        if days_ago % 7 == 0:
            correct = rng.randint(118, 124)
            records.append(
                {
                    "kind": "eval_run",
                    "metric": "policy_accuracy",
                    "values": [1.0] * correct + [0.0] * (125 - correct),  # per-sample scores
                    "observed_from": start,
                    "observed_to": end,
                    "source": {"tool": "inspect_ai", "version": "0.3.285"},
                    "measurement": {
                        "task": "refund_policy_eval",
                        "task_version": "1",
                        "dataset_hash": POLICY_DATASET,
                        "scorer": "match",
                    },
                    "payload": {"samples": 125, "correct": correct},
                }
            )
        if days_ago % 30 == 0:
            records.append(
                {
                    "kind": "attestation",
                    "metric": "human_review_pass",
                    "successes": 1,
                    "trials": 1,
                    "visibility": "restricted",
                    "observed_from": start,
                    "observed_to": end,
                    "source": {"tool": "external-audit"},
                    "payload": {"auditor": "Example Assurance LLP", "scope": "refund decisions sample"},
                }
            )
    return records


def _code_reviewer(now: Any, rng: random.Random) -> list[dict[str, Any]]:
    records = []
    for days_ago in range(DAYS, 0, -1):
        start, end = _day(now, days_ago)
        trials = rng.randint(40, 70)
        records.append(
            {
                "kind": "telemetry",
                "metric": "false_alarm",
                "successes": round(trials * rng.uniform(0.03, 0.08)),
                "trials": trials,
                "observed_from": start,
                "observed_to": end,
                "source": {"tool": "github-app", "version": "2.3.0"},
            }
        )
        if days_ago % 7 == 0:
            trials = 60
            records.append(
                {
                    "kind": "eval_run",
                    "metric": "defect_detected",
                    "successes": rng.randint(49, 55),
                    "trials": trials,
                    "observed_from": start,
                    "observed_to": end,
                    "source": {"tool": "swe-defects-bench", "version": "0.9"},
                }
            )
    return records


def _scheduler(now: Any, rng: random.Random) -> list[dict[str, Any]]:
    records = []
    for days_ago in range(DAYS, 10, -1):  # the pipeline broke ten days ago
        start, end = _day(now, days_ago)
        trials = rng.randint(120, 160)
        records.append(
            {
                "kind": "telemetry",
                "metric": "booking_success",
                "successes": round(trials * rng.uniform(0.975, 0.995)),
                "trials": trials,
                "observed_from": start,
                "observed_to": end,
                "source": {"tool": "calendar-bridge", "version": "5.1"},
            }
        )
    return records


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    if EvidenceRecord.objects.exists():
        out.write("evidence: demo evidence already present\n")
        return []
    now = timezone.now()
    rng = random.Random(20261126)
    vendor = User.objects.get(username="vendor")
    vendor2 = User.objects.get(username="vendor2")
    refund_bot = Agent.objects.get(slug="refund-bot")
    reviewer = Agent.objects.get(slug="code-reviewer")
    scheduler = Agent.objects.get(slug="helix-scheduler")
    # Acme signs its policy evals (the Refund Bot pact accepts signed evidence only for that clause since v2).
    signing = Ed25519PrivateKey.generate()
    challenge = services.vendor_key_challenge(user=vendor).text  # the seed proves possession like anyone
    services.vendor_key_register(
        user=vendor,
        name="acme-eval-pipeline",
        public_pem=signing.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        challenge=challenge,
        signature=keyproof.sign(challenge, signing),
    )
    refund_records = [
        {"envelope": dsse.sign(orjson.dumps(r), signing)} if r["metric"] == "policy_accuracy" else r
        for r in _refund_bot(now, rng)
    ]
    total = 0
    for agent, user, records in (
        (refund_bot, vendor, refund_records),
        (reviewer, vendor, _code_reviewer(now, rng)),
        (scheduler, vendor2, _scheduler(now, rng)),
    ):
        for start in range(0, len(records), 500):
            total += len(services.evidence_submit(agent=agent, items=records[start : start + 500], user=user))
    services.evidence_import(
        agent=refund_bot,
        data=INSPECT_EVAL.read_bytes(),
        fmt="inspect",
        user=vendor,
        filename="refund_policy_eval.eval",
        # Not the pre-registered policy metric (which takes signed evidence only): shown beside it.
        options=ImportOptions(metric="refund_policy_match"),
    )
    services.evidence_import(
        agent=reviewer,
        data=PROMPTFOO_RESULTS.read_bytes(),
        fmt="promptfoo",
        user=vendor,
        filename="results.json",
    )
    services.access_grant_create(
        agent=refund_bot,
        organization=Organization.objects.get(name="Northwind Bank"),
        user=vendor,
        note="Due diligence for the 2027 contract",
    )
    out.write(
        f"evidence: {total} records over {DAYS} days, an Inspect AI log and a promptfoo run imported, 1 access grant\n"
    )
    return []
