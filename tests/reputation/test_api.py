"""The score over the API (reputation.api.views): DESIGN.md's wire format, public, with events that recompute."""

from __future__ import annotations

import pytest

from trustcore.score import compute_from_inputs

pytestmark = pytest.mark.django_db
URL = "/api/v1/agents/refund-bot/score/"


def test_the_score_has_the_wire_format_and_its_events_recompute(one_clause, observe, api_client) -> None:
    observe(95)
    observe(10, trials=1000)
    body = api_client.get(URL).json()
    assert {"agent", "score", "lower_bound", "tier", "computed_at", "algorithm", "log_size", "events"} <= set(body)
    assert body["agent"] == "refund-bot" and body["tier"] == "suspended"
    assert body["algorithm"] == "trust-portal-score/1" and body["log_size"] == 2
    newest = body["events"][0]
    assert {"at", "delta", "reason", "source"} <= set(newest)
    assert newest["source"]["type"] == "verdict" and newest["delta"] < 0
    again = compute_from_inputs(newest["inputs"])
    assert (
        (again.score, again.lower_bound)
        == (newest["score"], newest["lower_bound"])
        == (
            body["score"],
            body["lower_bound"],
        )
    )
    assert [c["new"] for c in body["history"]] == ["suspended", "probation"]


def test_an_agent_never_evaluated_is_unverified(agent, api_client) -> None:
    body = api_client.get(URL).json()
    assert body["tier"] == "unverified" and body["events"] == [] and body["score"] == 50.0


def test_events_count_is_bounded_and_checked(one_clause, observe, api_client) -> None:
    observe(95)
    assert len(api_client.get(f"{URL}?events=0").json()["events"]) == 0
    assert api_client.get(f"{URL}?events=-1").status_code == 400
    assert api_client.get("/api/v1/agents/nobody/score/").status_code == 404
