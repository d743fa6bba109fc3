"""Verdicts over the API (verdicts.api.views): the current board and each clause's history, never quoting
what the reader may not see."""

from __future__ import annotations

import pytest

from evidence import services
from verdicts.evaluation import agent_evaluate

pytestmark = pytest.mark.django_db
URL = "/api/v1/agents/refund-bot/verdicts/"
SECRET = {"task": "SECRET-internal-suite", "task_version": "9", "dataset_hash": "ab" * 32, "scorer": "hidden"}


def test_api_current_and_history(published_pact, submit, api_client) -> None:
    submit(successes=199, trials=200)
    submit(successes=0, trials=300)
    now = api_client.get(URL).json()["results"]
    by_clause = {v["clause_id"]: v for v in now}
    assert by_clause["resolution-rate"]["status"] == "breached"
    assert by_clause["resolution-rate"]["pact_version"] == 1
    history = api_client.get(f"{URL}?history=1&clause=resolution-rate&page_size=1").json()
    assert [v["status"] for v in history["results"]] == ["breached"]
    assert history["next"]
    older = api_client.get(history["next"]).json()
    assert [v["status"] for v in older["results"]] == ["met"]


def test_verdicts_of_an_unknown_agent_are_404(api_client, db) -> None:
    assert api_client.get("/api/v1/agents/nobody/verdicts/").status_code == 404


def test_a_malformed_pact_filter_is_400(published_pact, api_client) -> None:
    response = api_client.get(f"{URL}?history=1&pact=abc")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_verdict_refusals_do_not_quote_restricted_records(published_pact, agent, vendor, wire, api_client) -> None:
    services.evidence_submit(
        agent=agent,
        items=[
            wire(
                kind="eval_run",
                metric="policy_accuracy",
                successes=None,
                trials=None,
                value=0.99,
                visibility="restricted",
                measurement=SECRET,
            )
        ],
        user=vendor,
    )
    agent_evaluate(agent_id=agent.pk)
    body = api_client.get(URL).content.decode()
    assert "policy-accuracy" in body
    assert "SECRET" not in body
