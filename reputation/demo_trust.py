"""Demo agents whose standing shows the tier rules (the other demo agents show the rest: Refund Bot was suspended
by a critical breach and recovered to standard; Helix Scheduler sits at probation behind a stale pact):

- Claims Triage (Helix): 45 days of good evidence, then its critical clause breaks three days ago: suspended.
- Doc Summarizer (Acme): a pact in force for four days, every day met: held at probation, because four days
  of evidence cannot lift the lower bound to standard's 65 (the score's mean is high, the bound is not).
  (incidents/demo_warning.py later gives it a second pact whose extraction-recall clause breaches after an early
  warning; it stays at probation.)
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta
from typing import Any, TextIO

from django.utils import timezone

from accounts.models import User
from evidence.services import evidence_submit
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.models import Agent
from verdicts.evaluation import agent_evaluate


def _document(*, title: str, clause: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(REFUNDS_V1)
    document["title"] = title
    document["obligations"] = [clause]
    return document


TRIAGE_CLAUSE = {
    "id": "triage-accuracy",
    "title": "Routes claims to the right queue",
    "metric": "triage_correct",
    "aggregation": "rate",
    "comparator": ">=",
    "threshold": 0.9,
    "window_days": 7,
    "min_samples": 50,
    "max_evidence_age_days": 3,
    "severity": "critical",
    "evidence_kinds": ["telemetry"],
    "on_breach": [{"action": "downgrade"}],
    "on_stale": [{"action": "downgrade"}],
}
SUMMARY_CLAUSE = {
    "id": "summary-faithful",
    "title": "Summaries state only what the document says",
    "metric": "summary_faithful",
    "aggregation": "rate",
    "comparator": ">=",
    "threshold": 0.95,
    "window_days": 30,
    "min_samples": 20,
    "max_evidence_age_days": 3,
    "severity": "major",
    "evidence_kinds": ["eval_run"],
    "on_breach": [{"action": "notify"}],
}


def _daily(metric: str, kind: str, days: int, rate: Any, rng: random.Random) -> list[dict[str, Any]]:
    now = timezone.now()
    records = []
    for days_ago in range(days, 0, -1):
        end = (now - timedelta(days=days_ago - 1)).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        trials = rng.randint(80, 120)
        records.append(
            {
                "kind": kind,
                "metric": metric,
                "successes": round(trials * rate(days_ago)),
                "trials": trials,
                "observed_from": (end - timedelta(days=1)).isoformat(),
                "observed_to": end.isoformat(),
                "source": {"tool": "demo-telemetry", "version": "1.0"},
            }
        )
    return records


def _agent(
    *, user: User, slug: str, name: str, description: str, clause: dict[str, Any], days: int, records: list[Any]
) -> Agent:
    now = timezone.now()
    agent = pact_services.agent_create(
        user=user, name=name, slug=slug, consequence_level="high", description=description
    )
    pact = pact_services.pact_create(agent=agent, user=user, title=name, document=_document(title=name, clause=clause))
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=user, now=now - timedelta(days=days))
    evidence_submit(agent=agent, items=records, user=user)
    for days_ago in range(days, -1, -1):  # evaluated once a day, as the sweep would have
        agent_evaluate(agent_id=agent.pk, now=now - timedelta(days=days_ago))
    return agent


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    if Agent.objects.filter(slug__in=["claims-triage", "doc-summarizer"]).exists():
        out.write("reputation: demo tier examples already present\n")
        return []
    rng = random.Random(11)
    triage = _agent(
        user=User.objects.get(username="vendor2"),
        slug="claims-triage",
        name="Claims Triage",
        description="Routes incoming insurance claims to the right queue. Its accuracy collapsed three days ago.",
        clause=TRIAGE_CLAUSE,
        days=45,
        records=_daily("triage_correct", "telemetry", 45, lambda d: rng.uniform(0.93, 0.97) if d > 3 else 0.55, rng),
    )
    summarizer = _agent(
        user=User.objects.get(username="vendor"),
        slug="doc-summarizer",
        name="Doc Summarizer",
        description="Summarises contracts for the legal team. Its first pact took effect four days ago.",
        clause=SUMMARY_CLAUSE,
        days=4,
        records=_daily("summary_faithful", "eval_run", 4, lambda d: 0.99, rng),
    )
    tiers = {agent.slug: agent.reputation.tier for agent in (triage, summarizer)}  # type: ignore[attr-defined]
    out.write(f"reputation: tier examples {tiers}\n")
    return []
