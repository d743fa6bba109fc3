"""The agent profile (/agents/<slug>/) and GET /api/v1/agents/{agent}/: the evidence freshness timeline, the
diligence report link, tier / score / bound in the API, and query counts that do not grow with the evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evidence.services import evidence_submit
from tests.factories import wire_record
from verdicts.evaluation import agent_evaluate
from verdicts.freshness import stale_spans

PROFILE = "/agents/refund-bot/"


def _page(client: Client, user: Any = None) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(PROFILE)
    assert response.status_code == 200
    return response.content.decode()


def _successes(agent: Any, vendor: Any, *ages_days: float, visibility: str = "public") -> None:
    evidence_submit(
        agent=agent,
        user=vendor,
        items=[wire_record(age=timedelta(days=age), visibility=visibility) for age in ages_days],
    )
    agent_evaluate(agent_id=agent.pk)


# --- the freshness timeline ------------------------------------------------------------------------------------


def test_stale_spans_start_a_max_age_after_the_last_observation() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    day = timedelta(days=1)
    spans = stale_spans([start + 5 * day, start + 20 * day], start=start, end=start + 30 * day, max_age=7 * day)
    assert spans == [(start + 12 * day, start + 20 * day), (start + 27 * day, start + 30 * day)]
    assert stale_spans([], start=start, end=start + 3 * day, max_age=7 * day) == []
    assert stale_spans([], start=start, end=start + 10 * day, max_age=7 * day) == [(start + 7 * day, start + 10 * day)]


def test_the_profile_draws_when_evidence_arrived_against_the_clauses_maximum_age(
    client, buyer, vendor, agent, published_pact
) -> None:
    _successes(agent, vendor, 25, 2)  # resolution-rate: window 30 days, max age 7 → stale from day 18 to day 2
    page = _page(client, buyer)
    assert 'data-testid="freshness-timeline"' in page
    assert 'data-figure="freshness-figure" role="img" aria-label="Evidence freshness timeline' in page
    row = page.split('data-testid="freshness-resolution-rate"')[1].split("</tr>")[0]
    assert "7 days" in row and "2 days old" in row and "16.0 days in 1 span" in row
    latency = page.split('data-testid="freshness-latency-p95"')[1].split("</tr>")[0]
    assert "none in the window" in latency  # nothing measured latency: no marker, stale since its window began


def test_evidence_of_a_kind_the_clause_refuses_does_not_refresh_it(
    client, buyer, vendor, agent, published_pact
) -> None:
    evidence_submit(agent=agent, user=vendor, items=[wire_record(kind="attestation")])  # resolution-rate wants others
    agent_evaluate(agent_id=agent.pk)
    row = _page(client, buyer).split('data-testid="freshness-resolution-rate"')[1].split("</tr>")[0]
    assert "none in the window" in row and "1 more that do not count" in row


def test_a_clause_resting_on_restricted_evidence_shows_outsiders_no_timeline(
    client, buyer, vendor, agent, published_pact
) -> None:
    _successes(agent, vendor, 3, visibility="restricted")
    outsider_row = _page(client, buyer).split('data-testid="freshness-resolution-rate"')[1].split("</tr>")[0]
    assert "rests on restricted evidence" in outsider_row and "3 days old" not in outsider_row
    vendor_row = _page(Client(), vendor).split('data-testid="freshness-resolution-rate"')[1].split("</tr>")[0]
    assert "3 days old" in vendor_row


def test_an_agent_without_a_pact_in_force_has_no_timeline(client, agent) -> None:
    assert 'data-testid="freshness-timeline"' not in _page(client)


def test_the_profile_links_to_the_diligence_report(client, agent, published_pact) -> None:
    assert 'href="/agents/refund-bot/report/"' in _page(client)


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_agent_api_carries_tier_score_and_bound_beside_its_fields(
    api_client, vendor, agent, published_pact
) -> None:
    _successes(agent, vendor, 1)
    body = api_client.get("/api/v1/agents/refund-bot/").json()
    assert {"slug", "name", "vendor", "pacts", "stale", "follower_count", "agent_card"} <= set(body)
    assert body["tier"] in {"unverified", "probation", "standard", "trusted", "suspended"}
    assert isinstance(body["score"], float) and isinstance(body["lower_bound"], float)
    assert body["lower_bound"] <= body["score"]
    listed = next(a for a in api_client.get("/api/v1/agents/").json()["results"] if a["slug"] == "refund-bot")
    assert {k: body[k] for k in ("tier", "score", "lower_bound")} == {
        k: listed[k] for k in ("tier", "score", "lower_bound")
    }


def test_the_agent_api_of_an_agent_without_evidence_says_unverified(api_client, agent) -> None:
    body = api_client.get("/api/v1/agents/refund-bot/").json()
    assert body["tier"] == "unverified" and body["lower_bound"] <= body["score"]


# --- query counts do not grow with the evidence ------------------------------------------------------------------


def _query_counts(users: dict[str, Any]) -> dict[str, int]:
    counts = {}
    for name, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        client.get(PROFILE)  # warm: sessions, caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PROFILE).status_code == 200
        counts[name] = len(captured)
    return counts


def _many_successes(agent: Any, vendor: Any, count: int) -> None:
    """``count`` records over the last 60 days, through the ingest service in batches of 1,000."""
    now = timezone.now()
    step = timedelta(days=60) / count
    for first in range(0, count, 1000):
        items = [
            wire_record(
                age=timedelta(0),
                observed_to=(now - step * i).isoformat(),
                observed_from=(now - step * i - timedelta(minutes=1)).isoformat(),
            )
            for i in range(first, min(count, first + 1000))
        ]
        evidence_submit(agent=agent, user=vendor, items=items)
    agent_evaluate(agent_id=agent.pk)


def test_profile_queries_do_not_grow_from_10_to_1000_records(vendor, buyer, agent, published_pact) -> None:
    users = {"anonymous": None, "buyer": buyer, "vendor": vendor}
    _many_successes(agent, vendor, 10)
    few = _query_counts(users)
    _many_successes(agent, vendor, 990)
    assert _query_counts(users) == few


def _bulk_records(agent_id: int, count: int, *, days: int) -> None:
    """PostgreSQL: ``count`` task_success records over the last ``days`` days in one INSERT … SELECT, then their
    metric buckets through the ingest's own code (so evaluation and the timeline read them as in production)."""
    from types import SimpleNamespace

    from django.db import transaction

    from evidence.buckets import buckets_add
    from evidence.models import EvidenceRecord

    start = timezone.now() - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM evidence_evidencerecord")
        above = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO evidence_evidencerecord (
                agent_id, kind, metric, successes, trials, sample_count, observed_from, observed_to, source_tool,
                source_version, payload, task_name, task_version, dataset_hash, scorer, visibility,
                attachment_filename, received_at, canonical_hash, canonical)
            SELECT %s, 'telemetry', 'task_success', 45 + g %% 6, 50, 50, t - interval '1 minute', t, 'bulk', '',
                   '{}'::jsonb, '', '', '', '', 'public', '', t, md5(g::text), ''
            FROM generate_series(1, %s) AS g,
                 LATERAL (SELECT %s::timestamptz + (g::float8 / %s) * %s * interval '1 second' AS t) AS at(t)
            """,
            [agent_id, count, start, count, days * 86400 - 60],
        )
    fields = ("metric", "observed_to", "kind", "value", "values", "successes", "trials")
    rows = EvidenceRecord.objects.filter(agent_id=agent_id, id__gt=above).order_by("observed_to").values_list(*fields)
    blank = {"task_name": "", "task_version": "", "dataset_hash": "", "scorer": "", "signed_by": None}
    chunk = []
    for values in rows.iterator(chunk_size=10_000):
        chunk.append(SimpleNamespace(**dict(zip(fields, values, strict=True)), **blank))
        if len(chunk) == 10_000:
            with transaction.atomic():
                buckets_add(agent_id=agent_id, records=chunk)  # type: ignore[arg-type]
            chunk = []
    if chunk:
        with transaction.atomic():
            buckets_add(agent_id=agent_id, records=chunk)  # type: ignore[arg-type]
    agent_evaluate(agent_id=agent_id)


@pytest.mark.slow
def test_profile_queries_are_the_same_at_1k_and_100k_records(postgres, vendor, buyer, agent, published_pact) -> None:
    users = {"anonymous": None, "buyer": buyer, "vendor": vendor}
    _bulk_records(agent.pk, 1_000, days=90)
    small = _query_counts(users)
    _bulk_records(agent.pk, 99_000, days=90)
    from evidence.models import EvidenceRecord

    assert EvidenceRecord.objects.filter(agent=agent).count() == 100_000
    assert _query_counts(users) == small
