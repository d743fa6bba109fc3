"""The account pages (accounts.views): signing in and out with throttling, changing the password, and API
tokens made, shown once and revoked in the browser."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def test_login_then_logout(client: Client, buyer, password) -> None:
    response = client.post("/accounts/login/", {"username": buyer.username, "password": password})
    assert response.status_code == 302
    home = client.get("/")
    assert b"Buyer home" in home.content
    assert home.context["user"] == buyer
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").context["user"].is_authenticated is False


def test_wrong_password_and_unknown_user_look_the_same(client: Client, buyer) -> None:
    wrong = client.post("/accounts/login/", {"username": buyer.username, "password": "nope-nope-nope"})
    unknown = client.post("/accounts/login/", {"username": "nobody-at-all", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert "not correct" in str(wrong.context["form"].non_field_errors())


def test_failed_logins_are_throttled_even_with_the_right_password(client: Client, buyer, password, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/accounts/login/", {"username": buyer.username, "password": "wrong-password"})
    response = client.post("/accounts/login/", {"username": buyer.username, "password": password})
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_unknown_users_are_throttled_too(client: Client, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/accounts/login/", {"username": "ghost", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"username": "ghost", "password": "wrong-password"})
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_a_success_resets_the_failure_count(client: Client, buyer, password, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(2):
        client.post("/accounts/login/", {"username": buyer.username, "password": "wrong-password"})
    assert client.post("/accounts/login/", {"username": buyer.username, "password": password}).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        client.post("/accounts/login/", {"username": buyer.username, "password": "wrong-password"})
    assert client.post("/accounts/login/", {"username": buyer.username, "password": password}).status_code == 302


def test_password_change(client: Client, vendor, password) -> None:
    client.force_login(vendor)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": password,
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.check_password("a-brand-new-passphrase")


def test_password_change_needs_sign_in(client: Client) -> None:
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- API tokens ------------------------------------------------------------------------------------------


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


def test_revoke_in_the_ui(client: Client, vendor, api_client: APIClient) -> None:
    issued = api_token_create(user=vendor, name="old")
    client.force_login(vendor)
    response = client.post(f"/accounts/tokens/{issued.token.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "revoked" in response.content.decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_cannot_revoke_someone_elses_token_in_the_ui(client: Client, vendor, vendor_b) -> None:
    theirs = api_token_create(user=vendor_b, name="theirs")
    client.force_login(vendor)
    client.post(f"/accounts/tokens/{theirs.token.pk}/revoke/")
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None


def test_token_list_shows_only_own_tokens(client: Client, vendor, vendor_b) -> None:
    api_token_create(user=vendor_b, name="victors-secret-pipeline")
    client.force_login(vendor)
    assert b"victors-secret-pipeline" not in client.get("/accounts/tokens/").content


def test_tokens_page_needs_sign_in(client: Client) -> None:
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302
