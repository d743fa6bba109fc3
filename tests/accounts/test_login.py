"""Signing in and out in the browser-facing views, with throttling."""

from __future__ import annotations

import pytest
from django.test import Client

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
