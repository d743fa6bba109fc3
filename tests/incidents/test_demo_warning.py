"""The demo's early warning and replay (incidents.demo_warning, through seed_demo): Doc Summarizer's extraction
clause warned about nine days before it breached; the stricter draft's replay is done and differs; idempotent."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents import demo_warning
from incidents.models import Replay
from pacts.models import Agent
from verdicts.models import ClauseWarning, Verdict
from verdicts.warnings import lead_times

pytestmark = pytest.mark.django_db


def _counts(agent: Agent) -> tuple[int, ...]:
    return ClauseWarning.objects.count(), Replay.objects.count(), Verdict.objects.count(), agent.pacts.count()


def test_seed_demo_shows_a_warning_nine_days_before_a_breach_and_a_replay() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    agent = Agent.objects.get(slug=demo_warning.AGENT)
    leads = [entry for entry in lead_times(agent_ids=[agent.pk]) if entry["clause_id"] == demo_warning.CLAUSE_ID]
    assert len(leads) == 1
    lead = leads[0]
    assert timedelta(days=8) <= timedelta(seconds=lead["lead_seconds"]) <= timedelta(days=10)
    now = timezone.now()
    assert now - timedelta(days=15) <= lead["breached_at"] <= now - timedelta(days=5)  # the breach is in the past
    warning = ClauseWarning.objects.get(pk=lead["warning"])
    assert warning.rule == "slow" and warning.cleared_at is not None
    breach = Verdict.objects.get(pk=lead["breach"])
    assert breach.status == Verdict.Status.BREACHED and breach.pact_version.number == 1
    current = Verdict.objects.get(agent=agent, clause_id=demo_warning.CLAUSE_ID, is_current=True)
    assert current.status == Verdict.Status.BREACHED
    assert agent.reputation.tier == "probation"  # type: ignore[attr-defined]

    replay = Replay.objects.get(agent=agent)
    assert replay.status == Replay.Status.DONE and replay.progress == 1.0
    assert replay.requester.username == "vendor" and replay.params["pact_version"] == 2
    assert replay.differences
    earlier = [d for d in replay.differences if d["kind"] == "verdict" and d["clause"] == demo_warning.CLAUSE_ID]
    assert earlier and "would have been breached" in earlier[0]["what"] and "days earlier" in earlier[0]["what"]
    assert any(d["kind"] == "tier" and d["replayed"] == "suspended" for d in replay.differences)
    assert f"incidents: a warning 9 days before a breach on {agent.name}" in out.getvalue()
    assert f"replay #{replay.pk} of {demo_warning.AGENT} v2 ({len(replay.differences)} differences)" in out.getvalue()

    counts = _counts(agent)
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts(agent) == counts
    demo_warning.seed(again := io.StringIO())  # called directly (incidents already present): still nothing new
    assert "already present" in again.getvalue()
    assert _counts(agent) == counts
