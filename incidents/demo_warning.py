"""The demo's early warning and replay (``incidents.demo.seed`` calls ``seed`` last): a warning that came nine days
before a breach, and a finished replay of a stricter draft.

Doc Summarizer gets a second, small pact (Acme's "Clause extraction": one 30-day rate clause, extraction recall
≥ 95 %, "notify" and "downgrade" on a breach), published 22 days ago over the pipeline's three-hourly telemetry of
the last 45 days, played through the services with ``now=``:

- Two misses in a hundred (a burn rate of 0.4).
- 16 days ago a model rollout went wrong for six hours (four misses in ten, reported every half hour): the slow
  burn-rate rule (6 h confirmed over 30 min at 6× the budget of a 30-day clause; ``trustcore.burn``) fired at the
  evaluation after it and opened a warning, which cleared at the next one.
- The rollback left nine misses in a hundred: too few to warn (1.8×), enough to spend the rest of the month's budget.
  The 30-day rate fell below 95 % about nine days after the warning: the breach verdict (≈ 7 days ago), linked to
  the warning (``verdicts.warnings.lead_times``). A fix four and a half days ago brought the misses back to two in a
  hundred; the month still holds the bad weeks, so the clause is breached now and the agent stays at probation.

Doc Summarizer's own pact took effect four days ago (``reputation.demo_trust``): this history is evaluated every six
hours only before that, so that pact's rows stay as they were written, then once now, as the sweep would.

The replay: Acme's draft v2 of the pact makes the clause critical at 97 %. Replayed by ``vendor`` over the same
history it breaches right after the rollout ("would have been breached … 9 days earlier") and suspends the agent.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any, TextIO

from django.utils import timezone

from accounts.models import User
from evidence.services import evidence_submit
from incidents.models import Replay
from incidents.replays import replay_request, replay_run
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.models import Agent, Pact
from verdicts.evaluation import agent_evaluate
from verdicts.models import ClauseWarning

AGENT = "doc-summarizer"
TITLE = "Clause extraction"
CLAUSE_ID = "extraction-recall"
METRIC = "clause_extracted"
EXTRACTION_CLAUSE: dict[str, Any] = {
    "id": CLAUSE_ID,
    "title": "Finds the clauses a lawyer would flag",
    "metric": METRIC,
    "aggregation": "rate",
    "comparator": ">=",
    "threshold": 0.95,
    "window_days": 30,
    "min_samples": 500,
    "max_evidence_age_days": 30,
    "severity": "major",
    "evidence_kinds": ["telemetry"],
    "on_breach": [{"action": "notify"}, {"action": "downgrade"}],
}
PUBLISHED_DAYS_AGO = 22
EVIDENCE_DAYS = 45
BURST_END_DAYS_AGO = 16  # the bad rollout's six hours end here
FIX_DAYS_AGO = 4.5
SUMMARY_PACT_DAYS_AGO = 4  # Doc Summarizer's own pact (reputation.demo_trust): evaluate only before it
STEP = timedelta(hours=3)
TRIALS = 40
MISSES_BEFORE = 0.02
MISSES_AFTER = 0.09


def _document(threshold: float, severity: str = "major") -> dict[str, Any]:
    document = copy.deepcopy(REFUNDS_V1)
    document["title"] = "Contract summarizer — clause extraction"
    document["scope"] = {"covers": ["clause extraction from supplier contracts"], "excludes": ["legal advice"]}
    document["review_every_days"] = 90
    clause = copy.deepcopy(EXTRACTION_CLAUSE)
    clause["threshold"] = threshold
    clause["severity"] = severity
    document["obligations"] = [clause]
    return document


def _record(end: datetime, span: timedelta, trials: int, misses: int) -> dict[str, Any]:
    return {
        "kind": "telemetry",
        "metric": METRIC,
        "successes": trials - misses,
        "trials": trials,
        "observed_from": (end - span).isoformat(),
        "observed_to": end.isoformat(),
        "source": {"tool": "extraction-pipeline", "version": "2.1"},
    }


def _history(base: datetime) -> tuple[list[dict[str, Any]], datetime]:
    """The records (oldest first) and the end of the bad rollout's six hours."""
    burst_end = base - timedelta(days=BURST_END_DAYS_AGO)
    burst_start = burst_end - timedelta(hours=6)
    fix = base - timedelta(days=FIX_DAYS_AGO)
    records: list[dict[str, Any]] = []
    expected = 0.0  # misses owed so far at the current rate: each record gets its whole share, spread evenly
    end = base - timedelta(days=EVIDENCE_DAYS)
    while end <= base:
        if burst_start < end <= burst_end:
            end += STEP
            continue  # the rollout's hours are reported every half hour
        share = MISSES_AFTER if burst_end < end <= fix else MISSES_BEFORE
        expected += share * TRIALS
        misses = int(expected)
        expected -= misses
        records.append(_record(end, STEP, TRIALS, misses))
        if end == burst_start:
            half = burst_start
            while half < burst_end:
                half += timedelta(minutes=30)
                records.append(_record(half, timedelta(minutes=30), 20, 8))  # 4 misses in 10
        end += STEP
    return records, burst_end


def _replay_line(replay: Replay) -> str:
    return (
        f"replay #{replay.pk} of {AGENT} v{replay.params.get('pact_version')} ({len(replay.differences)} differences)"
    )


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    agent = Agent.objects.filter(slug=AGENT).first()
    vendor = User.objects.filter(username="vendor").first()
    if agent is None or vendor is None:
        out.write("incidents: the demo agent for the early warning is missing, no warning\n")
        return []
    if ClauseWarning.objects.filter(agent=agent, clause_id=CLAUSE_ID, breach__isnull=False).exists():
        out.write("incidents: the demo's early warning and replay already present\n")
        return []
    if Pact.objects.filter(agent=agent, title=TITLE).exists():
        out.write("incidents: a clause extraction pact exists without its demo warning, left alone\n")
        return []
    now = timezone.now()
    base = now.replace(minute=0, second=0, microsecond=0)
    pact = pact_services.pact_create(
        agent=agent, user=vendor, title=TITLE, document=_document(0.95), changelog="First published pact."
    )
    pact_services.pact_version_publish(
        version=pact.versions.get(number=1), user=vendor, now=base - timedelta(days=PUBLISHED_DAYS_AGO)
    )
    records, burst_end = _history(base)
    for start in range(0, len(records), 500):
        evidence_submit(agent=agent, items=records[start : start + 500], user=vendor)

    # Evaluated every six hours, as the sweep would have, and right after the rollout's last half hour (its
    # records arrive as they are observed), until Doc Summarizer's own pact took effect; then once now.
    moments = {burst_end}
    moment = base - timedelta(days=PUBLISHED_DAYS_AGO) + timedelta(hours=1)
    last = now - timedelta(days=SUMMARY_PACT_DAYS_AGO) - timedelta(hours=1)
    while moment < last:
        moments.add(moment)
        moment += timedelta(hours=6)
    for moment in sorted(moments):
        agent_evaluate(agent_id=agent.pk, now=moment)
    agent_evaluate(agent_id=agent.pk, now=now)

    draft = pact_services.pact_version_create_draft(
        pact=pact,
        user=vendor,
        document=_document(0.97, severity="critical"),
        changelog="Extraction recall becomes critical, at 97 %: legal's condition after the rollout.",
    )
    replay = replay_request(user=vendor, agent=agent, pact_version=draft.number, pact=pact.pk)
    replay_run(replay_id=replay.pk)  # inside seed_demo's transaction: the task queued on commit finds it done
    replay.refresh_from_db()

    warning = ClauseWarning.objects.filter(agent=agent, clause_id=CLAUSE_ID, breach__isnull=False).first()
    if warning is None or warning.breach is None:
        out.write(f"incidents: no breach followed the demo's early warning on {AGENT}; {_replay_line(replay)}\n")
        return []
    lead = (warning.breach.computed_at - warning.opened_at).total_seconds() / 86400
    out.write(
        f"incidents: a warning {lead:.0f} days before a breach on {agent.name} {CLAUSE_ID} ({warning.rule} burn "
        f"{warning.burn_long:.1f}x); {_replay_line(replay)}\n"
    )
    return []
