"""A constructed history for replay and trust-after-degradation tests: daily ingests with evaluation at once,
sweeps between them, a breach of the critical clause, a recovery, then staleness found by the sweep."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from evidence import services as evidence_services
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from verdicts.evaluation import agent_evaluate

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def document_with(threshold: float) -> dict[str, Any]:
    document = copy.deepcopy(REFUNDS_V1)
    rate, latency = document["obligations"][0], document["obligations"][1]
    rate.update(severity="critical", threshold=threshold, window_days=7, min_samples=10, max_evidence_age_days=2)
    rate["on_breach"] = [{"action": "downgrade"}]
    latency.update(min_samples=5, window_days=3, max_evidence_age_days=2)
    document["obligations"] = [rate, latency]
    return document


def send(agent, vendor, at: datetime, *, successes: int, trials: int = 100, latency: float = 900.0) -> None:
    end = at - timedelta(minutes=1)
    common = {"observed_from": (end - timedelta(hours=1)).isoformat(), "observed_to": end.isoformat()}
    items = [
        {"kind": "telemetry", "metric": "task_success", "successes": successes, "trials": trials, **common},
        {"kind": "telemetry", "metric": "latency_ms", "values": [latency, latency * 1.1, latency * 0.7], **common},
    ]
    evidence_services.evidence_submit(agent=agent, items=items, user=vendor)


def build_history(agent: Any, vendor: Any) -> Any:
    """24 good days (probation, then standard once sustained), a breach (suspended), a recovery (probation), then
    no evidence: the sweep finds the clauses stale (suspended again). Ingests re-evaluate at once; sweeps run
    between them and mostly change nothing."""
    with time_machine.travel(T0, tick=False):
        pact = pact_services.pact_create(agent=agent, user=vendor, title="Refunds", document=document_with(0.9))
        pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    for day in range(32):
        for hour, kind in ((0, "ingest"), (7, "sweep"), (15, "sweep")):
            moment = T0 + timedelta(days=day, hours=hour, minutes=5)
            with time_machine.travel(moment, tick=False):
                if kind == "ingest" and day < 28:
                    good = 93 if not 25 <= day < 28 else (60 if day < 27 else 99)
                    send(agent, vendor, moment, successes=good, latency=1800.0 if day == 26 else 900.0)
                agent_evaluate(agent_id=agent.pk)
    return pact
