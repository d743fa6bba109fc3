"""Replays over the API and the pages: 202 with id, status and progress; the job is its requester's (and staff's);
a draft is replayable by its vendor only; a policy by its organization; bad bodies are 400s naming the field;
early warnings are first-missed-signal candidates and the dashboard shows their lead over breaches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Organization
from incidents import missed_signals
from incidents.models import Replay
from pacts import services as pact_services
from reputation.policies import policy_create
from tests.incidents.histories import document_with, send
from verdicts.evaluation import agent_evaluate
from verdicts.models import ClauseWarning, Verdict


@pytest.fixture
def live(agent, vendor):
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Refunds", document=document_with(0.9))
    pact_services.pact_version_publish(
        version=pact.versions.get(number=1), user=vendor, now=timezone.now() - timedelta(days=3)
    )
    send(agent, vendor, timezone.now(), successes=95)
    agent_evaluate(agent_id=agent.pk)
    pact_services.pact_version_create_draft(pact=pact, user=vendor, document=document_with(0.97), changelog="strict")
    return pact


def test_post_replay_answers_202_and_the_job_reads_back(
    live, agent, vendor, client, django_capture_on_commit_callbacks
) -> None:
    client.force_login(vendor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/agents/{agent.slug}/replay/", {"pact_version": 2}, content_type="application/json"
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) >= {"id", "status", "progress"}
    job = client.get(f"/api/v1/replays/{body['id']}/").json()
    assert job["status"] == "done" and job["progress"] == 1.0
    assert set(job) >= {"status", "progress", "timeline", "differences"}
    breached = [d for d in job["differences"] if d["kind"] == "verdict"]
    assert breached and set(breached[0]) >= {"at", "actual", "replayed", "what"}
    assert "resolution-rate would have been breached" in breached[0]["what"]
    page = client.get(f"/replays/{body['id']}/")
    assert page.status_code == 200 and b'data-figure="replay-figure"' in page.content
    assert b"would have been breached" in page.content
    assert b"Actual and replayed tiers and clause statuses: the data as a table" in page.content


def test_a_replay_is_its_requesters(live, agent, vendor, vendor_member, staff, buyer, client) -> None:
    job = Replay.objects.create(requester=vendor, agent=agent, params={"pact": live.pk}, status="done")
    for user, expected in ((vendor, 200), (staff, 200), (vendor_member, 404), (buyer, 404)):
        client.force_login(user)
        assert client.get(f"/api/v1/replays/{job.pk}/").status_code == expected
    client.logout()
    assert client.get(f"/api/v1/replays/{job.pk}/").status_code == 401


def test_who_may_replay_what(live, agent, vendor, buyer, arbiter, client) -> None:
    url = f"/api/v1/agents/{agent.slug}/replay/"
    assert client.post(url, {"pact_version": 1}, content_type="application/json").status_code == 401
    client.force_login(arbiter)
    assert client.post(url, {"pact_version": 1}, content_type="application/json").status_code == 403
    client.force_login(buyer)
    draft = client.post(url, {"pact_version": 2}, content_type="application/json")
    assert draft.status_code == 400 and draft.json()["errors"][0]["field"] == "pact_version"  # a draft is the vendor's
    assert client.post(url, {"pact_version": 1}, content_type="application/json").status_code == 202
    organization = Organization.objects.get(name="Northwind Bank")
    policy = policy_create(user=buyer, organization=organization, name="Strict", rules={"min_tier": "trusted"})
    assert client.post(url, {"policy": policy.pk}, content_type="application/json").status_code == 202
    client.force_login(vendor)
    other = client.post(url, {"policy": policy.pk}, content_type="application/json")
    assert other.status_code == 400 and other.json()["errors"][0]["field"] == "policy"
    both = client.post(url, {"policy": policy.pk, "pact_version": 1}, content_type="application/json")
    assert both.status_code == 400
    unknown = client.post(url, {"pact_version": 1, "bogus": 1}, content_type="application/json")
    assert unknown.status_code == 400


def test_a_policy_replay_lists_its_decisions(live, agent, buyer, client, django_capture_on_commit_callbacks) -> None:
    organization = Organization.objects.get(name="Northwind Bank")
    policy = policy_create(user=buyer, organization=organization, name="Strict", rules={"min_tier": "trusted"})
    client.force_login(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            f"/api/v1/agents/{agent.slug}/replay/", {"policy": policy.pk}, content_type="application/json"
        ).json()
    job = client.get(f"/api/v1/replays/{created['id']}/").json()
    decisions = [e for e in job["timeline"] if e["kind"] == "decision"]
    assert decisions and decisions[0]["value"] == "deny"
    assert any(d["kind"] == "decision" and "would have answered deny" in d["what"] for d in job["differences"])


def test_an_early_warning_is_a_first_missed_signal_candidate(live, agent) -> None:
    verdict = Verdict.objects.filter(pact=live).first()
    opened = timezone.now() - timedelta(days=9)
    warning = ClauseWarning.objects.create(
        agent=agent,
        pact=live,
        pact_version=live.versions.get(number=1),
        clause_id="resolution-rate",
        rule="slow",
        burn_long=7.0,
        burn_short=7.0,
        threshold=6.0,
        trials_long=500,
        opened_at=opened,
        last_seen_at=opened,
        breach=verdict,
    )
    found = missed_signals.derive(
        agent_id=agent.pk, clauses=[(live.pk, "resolution-rate")], visible_at=timezone.now(), lookback_days=30
    )
    assert found is not None and found.type == "warning" and found.id == warning.pk


def test_the_dashboard_shows_warning_lead_times(live, agent, client) -> None:
    verdict = Verdict.objects.filter(pact=live).first()
    opened = verdict.computed_at - timedelta(days=9)
    ClauseWarning.objects.create(
        agent=agent,
        pact=live,
        pact_version=live.versions.get(number=1),
        clause_id="resolution-rate",
        rule="slow",
        burn_long=7.0,
        burn_short=7.0,
        threshold=6.0,
        trials_long=500,
        opened_at=opened,
        last_seen_at=opened,
        cleared_at=verdict.computed_at,
        breach=verdict,
    )
    page = client.get("/incidents/metrics/")
    assert b'data-testid="metric-warning-lead"' in page.content
    assert b"9 days earlier" in page.content


def test_a_policy_replay_withholds_what_rests_on_restricted_evidence(
    agent, vendor, buyer, client, django_capture_on_commit_callbacks
) -> None:
    """A replay is its requester's view: a buyer who may not see the agent's restricted evidence is not told its
    freshness through the replayed decisions (the portal's own decision for that buyer withholds it, as
    ``verdicts.selectors.shown`` does); with a grant, the same replay sees it. Regression: the replay decided over
    every record, so "evidence is 0 days old" (and an allow) came from restricted records alone."""
    from evidence import services as evidence_services

    pact = pact_services.pact_create(agent=agent, user=vendor, title="Refunds", document=document_with(0.9))
    pact_services.pact_version_publish(
        version=pact.versions.get(number=1), user=vendor, now=timezone.now() - timedelta(days=3)
    )
    end = timezone.now() - timedelta(minutes=1)
    common = {
        "observed_from": (end - timedelta(hours=1)).isoformat(),
        "observed_to": end.isoformat(),
        "visibility": "restricted",
    }
    evidence_services.evidence_submit(
        agent=agent,
        items=[
            {"kind": "telemetry", "metric": "task_success", "successes": 95, "trials": 100, **common},
            {"kind": "telemetry", "metric": "latency_ms", "values": [900.0, 990.0, 630.0], **common},
        ],
        user=vendor,
    )
    agent_evaluate(agent_id=agent.pk)
    organization = Organization.objects.get(name="Northwind Bank")
    policy = policy_create(user=buyer, organization=organization, name="Fresh", rules={"max_evidence_age_days": 1})
    client.force_login(buyer)
    real = client.get(f"/api/v1/agents/{agent.slug}/decision/", {"policy": policy.pk}).json()
    assert real["decision"] == "deny" and real["reasons"] == ["a clause has no fresh evidence"]

    def replayed() -> list[dict]:
        with django_capture_on_commit_callbacks(execute=True):
            created = client.post(
                f"/api/v1/agents/{agent.slug}/replay/", {"policy": policy.pk}, content_type="application/json"
            ).json()
        job = client.get(f"/api/v1/replays/{created['id']}/").json()
        assert job["status"] == "done", job
        return [e for e in job["timeline"] if e["kind"] == "decision"]

    hidden = replayed()
    assert hidden and {e["value"] for e in hidden} == {"deny"}
    assert all(e["reasons"] == ["a clause has no fresh evidence"] for e in hidden), hidden
    assert not any("days old" in reason for e in hidden for reason in e["reasons"])

    evidence_services.access_grant_create(agent=agent, organization=organization, user=vendor)
    seen = replayed()
    assert seen[-1]["value"] == "allow", seen  # the grantee sees the fresh restricted evidence
