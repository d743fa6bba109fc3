"""API tokens: create (UI and API), use, revoke; shown once, stored hashed, scoped."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def test_token_created_in_the_ui_is_shown_once_and_works(client: Client, vendor) -> None:
    client.force_login(vendor)
    response = client.post("/accounts/tokens/", {"name": "CI pipeline"})
    assert response.status_code == 200
    plaintext = response.context["issued"].plaintext
    assert plaintext.encode() in response.content
    assert plaintext.encode() not in client.get("/accounts/tokens/").content  # never shown again

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == vendor.username
    assert me.json()["role"] == "vendor"


def test_token_create_with_htmx_returns_the_panel_fragment(client: Client, vendor) -> None:
    client.force_login(vendor)
    response = client.post("/accounts/tokens/", {"name": "telemetry"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="token-panel">')
    assert "<html" not in html
    assert "telemetry" in html


def test_token_create_without_a_name_shows_the_error(client: Client, vendor) -> None:
    client.force_login(vendor)
    response = client.post("/accounts/tokens/", {"name": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_stored_token_is_not_the_token(vendor) -> None:
    issued = api_token_create(user=vendor, name="x")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.plaintext not in {stored.digest, stored.prefix, stored.name}
    assert stored.digest == hashlib.sha256(issued.plaintext.encode()).hexdigest()
    assert issued.plaintext.startswith(stored.prefix)


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


def test_revoke_in_the_ui(client: Client, vendor, api_client: APIClient) -> None:
    issued = api_token_create(user=vendor, name="old")
    client.force_login(vendor)
    response = client.post(f"/accounts/tokens/{issued.token.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "revoked" in response.content.decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_cannot_revoke_someone_elses_token(client: Client, vendor, vendor_b, bearer) -> None:
    theirs = api_token_create(user=vendor_b, name="theirs")
    assert bearer(vendor).delete(f"/api/v1/auth/tokens/{theirs.token.pk}/").status_code == 404
    client.force_login(vendor)
    client.post(f"/accounts/tokens/{theirs.token.pk}/revoke/")
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None


def test_token_list_shows_only_own_tokens(client: Client, vendor, vendor_b) -> None:
    api_token_create(user=vendor_b, name="victors-secret-pipeline")
    client.force_login(vendor)
    assert b"victors-secret-pipeline" not in client.get("/accounts/tokens/").content


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


def test_tokens_page_needs_sign_in(client: Client) -> None:
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302
