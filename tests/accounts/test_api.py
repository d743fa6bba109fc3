"""The accounts API (accounts.api): obtaining, listing and revoking tokens, and what a token may do (bearer
authentication: expiry, deactivation, last use; permissions: read-only and agent-scoped tokens)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from evidence.services import ingest_token_create
from pacts.demo_documents import REFUNDS_V1

pytestmark = pytest.mark.django_db


def test_obtain_token_with_password_then_use_then_revoke(api_client: APIClient, buyer, password) -> None:
    response = api_client.post(
        "/api/v1/auth/token/", {"username": buyer.username, "password": password, "name": "script"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    token = body["token"]
    assert body["name"] == "script"

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/v1/me/").status_code == 200
    listed = api_client.get("/api/v1/auth/tokens/").json()["results"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0]

    assert api_client.delete(f"/api/v1/auth/tokens/{body['id']}/").status_code == 200
    assert api_client.get("/api/v1/me/").status_code == 401


def test_obtain_token_wrong_password_and_unknown_user_answer_alike(api_client: APIClient, buyer) -> None:
    wrong = api_client.post("/api/v1/auth/token/", {"username": buyer.username, "password": "nope"}, format="json")
    unknown = api_client.post("/api/v1/auth/token/", {"username": "nobody", "password": "nope"}, format="json")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


def test_obtain_token_is_throttled_after_failures(api_client: APIClient, buyer, password, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        api_client.post("/api/v1/auth/token/", {"username": buyer.username, "password": "nope"}, format="json")
    response = api_client.post("/api/v1/auth/token/", {"username": buyer.username, "password": password}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "too_many_attempts"


def test_cannot_revoke_someone_elses_token(vendor, vendor_b, bearer) -> None:
    theirs = api_token_create(user=vendor_b, name="theirs")
    assert bearer(vendor).delete(f"/api/v1/auth/tokens/{theirs.token.pk}/").status_code == 404
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None


def test_read_only_token_can_read_but_not_write(vendor, bearer) -> None:
    client = bearer(vendor, read_only=True)
    assert client.get("/api/v1/me/").status_code == 200
    response = client.post("/api/v1/auth/tokens/", {"name": "escalate"}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_expired_token_is_refused(vendor, api_client: APIClient) -> None:
    issued = api_token_create(user=vendor, name="short", expires_at=timezone.now() + timedelta(minutes=1))
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_token_of_a_deactivated_user_is_refused(vendor, bearer) -> None:
    client = bearer(vendor)
    vendor.is_active = False
    vendor.save()
    assert client.get("/api/v1/me/").status_code == 401


def test_last_used_is_recorded(vendor, bearer) -> None:
    client = bearer(vendor)
    assert client.token.token.last_used_at is None
    client.get("/api/v1/me/")
    client.token.token.refresh_from_db()
    assert client.token.token.last_used_at is not None


@pytest.fixture
def scoped_client(agent, vendor) -> APIClient:
    """A token of the vendor scoped to Refund Bot (what a CI pipeline submits evidence with)."""
    issued = ingest_token_create(user=vendor, name="ci", agents=[agent])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    return client


def test_an_agent_scoped_token_submits_evidence_for_its_agent(scoped_client, wire) -> None:
    response = scoped_client.post(
        "/api/v1/agents/refund-bot/evidence/", data=json.dumps(wire()), content_type="application/json"
    )
    assert response.status_code == 201
    assert scoped_client.get("/api/v1/me/").status_code == 200  # reading is fine


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/tokens/", {"name": "escape"}),
        ("/api/v1/ingest-tokens/", {"name": "escape", "agents": ["refund-bot"]}),
        ("/api/v1/agents/refund-bot/grants/", {"organization": "northwind-bank"}),
        ("/api/v1/agents/refund-bot/pacts/", {"document": REFUNDS_V1}),
        ("/api/v1/signing-keys/", {"public_pem": "x"}),
    ],
    ids=["token", "ingest-token", "grant", "pact", "signing-key"],
)
def test_an_agent_scoped_token_can_only_submit_evidence(scoped_client, path: str, body: dict) -> None:
    response = scoped_client.post(path, body, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "token_scope"
