"""Replay: the version actually in force reproduces the actual verdict rows and tier changes exactly (a
constructed history of daily ingests, a breach, a recovery and staleness found by the sweep); a stricter draft
shows what would have broken first, and when, in words; the job runs as a task with progress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from incidents import replay as engine
from incidents import replays
from incidents.models import Replay
from pacts import services as pact_services
from reputation.models import TierChange
from tests.incidents.histories import T0, build_history, document_with
from verdicts.models import Verdict


@pytest.fixture
def history(agent, vendor):
    return build_history(agent, vendor)


def _actual_rows(pact) -> list[tuple[Any, ...]]:
    return [
        (v.computed_at, v.clause_id, v.status, round(v.measured, 9) if v.measured is not None else None, v.samples)
        for v in Verdict.objects.filter(pact=pact).order_by("computed_at", "id")
    ]


def test_replaying_the_version_in_force_reproduces_verdicts_and_tiers_exactly(history, agent) -> None:
    statuses = {s for _, _, s, _, _ in _actual_rows(history)}
    tiers = list(TierChange.objects.filter(agent=agent).order_by("at", "id").values_list("at", "new"))
    assert {"met", "breached", "stale"} <= statuses  # the history has what the test claims
    assert {"suspended", "probation", "standard"} <= {t for _, t in tiers}
    result = engine.replay(
        agent=agent,
        pact=history,
        version=history.versions.get(number=1),
        until=T0 + timedelta(days=40),
    )
    assert result.knowledge == engine.RECEIVED
    replayed = [
        (r.at, r.clause_id, r.status, round(r.measured, 9) if r.measured is not None else None, r.samples)
        for r in result.rows
    ]
    assert replayed == _actual_rows(history)
    assert [(at, tier) for at, tier, _ in result.tiers] == tiers


def _request(capture, **fields: Any) -> Replay:
    with time_machine.travel(T0 + timedelta(days=40), tick=False), capture(execute=True):
        job = replays.replay_request(**fields)
    return job


def test_a_stricter_draft_breaks_first_and_says_when(
    history, agent, vendor, django_capture_on_commit_callbacks
) -> None:
    pact_services.pact_version_create_draft(
        pact=history, user=vendor, document=document_with(0.95), changelog="stricter"
    )
    job = _request(django_capture_on_commit_callbacks, user=vendor, agent=agent, pact_version=2)
    job.refresh_from_db()
    assert job.status == Replay.Status.DONE and job.progress == 1.0, job.error
    tier_changes = [d for d in job.differences if d["kind"] == "tier"]
    first = tier_changes[0]
    assert first["replayed"] == "suspended" and first["actual"] == "probation"
    assert "would have been downgraded to suspended on 2 Mar 2026" in first["what"]
    assert first["what"].endswith("25 days earlier")
    verdicts = [d for d in job.differences if d["kind"] == "verdict" and d["clause"] == "resolution-rate"]
    assert verdicts[0]["replayed"] == "breached" and "25 days earlier" in verdicts[0]["what"]
    kinds = {e["kind"] for e in job.timeline["replayed"]}
    assert kinds == {"verdict", "tier"} and job.timeline["pact_version"] == 2


def test_replaying_the_version_in_force_shows_no_difference(
    history, agent, vendor, django_capture_on_commit_callbacks
) -> None:
    job = _request(django_capture_on_commit_callbacks, user=vendor, agent=agent, pact_version=1)
    job.refresh_from_db()
    assert job.status == Replay.Status.DONE
    assert job.differences == []
