"""Regression tests for the authorization and input findings of the end-of-session review."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from evidence import services
from verdicts.evaluation import agent_evaluate

pytestmark = pytest.mark.django_db
URL = "/api/v1/agents/refund-bot/evidence/"


@pytest.fixture
def scoped_client(agent, vendor) -> APIClient:
    issued = services.ingest_token_create(user=vendor, name="ci", agents=[agent])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    return client


def test_an_agent_scoped_token_can_only_submit_evidence(agent, vendor, scoped_client, wire, document) -> None:
    assert scoped_client.post(URL, data=json.dumps(wire()), content_type="application/json").status_code == 201
    for path, body in [
        ("/api/v1/auth/tokens/", {"name": "escape"}),
        ("/api/v1/ingest-tokens/", {"name": "escape", "agents": ["refund-bot"]}),
        ("/api/v1/agents/refund-bot/grants/", {"organization": "northwind-bank"}),
        ("/api/v1/agents/refund-bot/pacts/", {"document": document}),
        ("/api/v1/signing-keys/", {"public_pem": "x"}),
    ]:
        response = scoped_client.post(path, body, format="json")
        assert response.status_code == 403, path
        assert response["Content-Type"] == "application/problem+json"
    assert scoped_client.get("/api/v1/me/").status_code == 200  # reading is fine


def test_verdict_refusals_do_not_quote_restricted_records(
    published_pact, agent, vendor, wire, api_client, client
) -> None:
    secret = {"task": "SECRET-internal-suite", "task_version": "9", "dataset_hash": "ab" * 32, "scorer": "hidden"}
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
                measurement=secret,
            )
        ],
        user=vendor,
    )
    agent_evaluate(agent_id=agent.pk)
    assert "SECRET" not in api_client.get("/api/v1/agents/refund-bot/verdicts/").content.decode()
    assert (
        "SECRET" not in client.get(f"/agents/refund-bot/clauses/{published_pact.pk}/policy-accuracy/").content.decode()
    )


def test_a_public_record_cannot_correct_a_restricted_one(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    hidden = client.post(URL, data=json.dumps(wire(visibility="restricted")), content_type="application/json").json()
    response = client.post(URL, data=json.dumps(wire(corrects=hidden["id"])), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "corrects"
    restricted_fix = client.post(
        URL, data=json.dumps(wire(corrects=hidden["id"], visibility="restricted")), content_type="application/json"
    )
    assert restricted_fix.status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/agents/refund-bot/evidence/?observed_after=2024-13-45T00:00:00",
        "/api/v1/agents/refund-bot/verdicts/?history=1&pact=%C2%B2",
        "/api/v1/agents/refund-bot/verdicts/?history=1&pact=9223372036854775808999",
        "/api/v1/log/consistency/?from=%C2%B2&to=1",
    ],
)
def test_malformed_query_parameters_are_400(agent, api_client, path) -> None:
    response = api_client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_unhashable_corrects_in_a_batch_is_400(agent, vendor, bearer, wire) -> None:
    body = [wire(corrects=999999), wire(corrects=[1]), wire(corrects={"a": 1})]
    response = bearer(vendor).post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert {"0.corrects", "1.corrects", "2.corrects"} <= {e["field"] for e in response.json()["errors"]}


def test_outsiders_are_refused_403_on_html_writes_to_what_they_can_see(
    published_pact, agent, vendor_b, buyer, client
) -> None:
    for user in (vendor_b, buyer):
        client.force_login(user)
        for path in (
            f"/pacts/{published_pact.pk}/review/",
            f"/pacts/{published_pact.pk}/versions/new/",
            f"/pacts/{published_pact.pk}/v/1/publish/",
            "/agents/refund-bot/grants/",
            "/agents/refund-bot/evidence/import/",
        ):
            assert client.post(path, {"confirm": "on"}).status_code == 403, (user, path)
        assert client.get("/agents/refund-bot/pacts/new/").status_code == 403


def test_outsiders_are_refused_before_validation_on_api_writes(published_pact, agent, vendor_b, bearer) -> None:
    client = bearer(vendor_b)
    assert client.post("/api/v1/agents/refund-bot/grants/", {"organization": "nope"}, format="json").status_code == 403
    assert client.post("/api/v1/agents/refund-bot/pacts/", {}, format="json").status_code == 403
    assert client.post(f"/api/v1/pacts/{published_pact.pk}/versions/", {}, format="json").status_code == 403
    assert (
        client.patch(f"/api/v1/pacts/{published_pact.pk}/versions/1/", {"document": 42}, format="json").status_code
        == 403
    )
    assert (
        client.post("/api/v1/agents/refund-bot/evidence/import/?format=inspect", {}, format="multipart").status_code
        == 403
    )
