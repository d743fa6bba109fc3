"""Throttling keyed on the real client address: the API throttle, the page throttle (trust_portal.throttle) and
the sign-in lock-out all use trust_portal.clients.client_address."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_forged_x_forwarded_for_does_not_give_the_api_a_fresh_budget(settings) -> None:
    settings.API_THROTTLE_RATES = {"token": "100/minute", "anon": "2/minute"}
    settings.TRUSTED_PROXIES = 0
    client = APIClient()
    statuses = [client.get("/api/v1/agents/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_behind_a_trusted_proxy_the_api_counts_each_client_apart(settings) -> None:
    settings.API_THROTTLE_RATES = {"token": "100/minute", "anon": "1/minute"}
    settings.TRUSTED_PROXIES = 1
    client = APIClient()
    assert client.get("/api/v1/agents/", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 200
    assert client.get("/api/v1/agents/", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1").status_code == 429
    assert client.get("/api/v1/agents/", HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 200


def test_anonymous_pages_are_throttled_with_a_429_page_and_retry_after(settings) -> None:
    settings.PAGE_THROTTLE_RATES = {"user": "100/minute", "anon": "2/minute"}
    client = Client()
    assert [client.get("/agents/").status_code for _ in range(2)] == [200, 200]
    response = client.get("/agents/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many requests" in response.content.decode()


def test_a_forged_x_forwarded_for_does_not_give_pages_a_fresh_budget(settings) -> None:
    settings.PAGE_THROTTLE_RATES = {"user": "100/minute", "anon": "1/minute"}
    client = Client()
    assert client.get("/agents/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert client.get("/agents/", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429


def test_signed_in_users_have_their_own_larger_page_budget(settings, buyer: User) -> None:
    settings.PAGE_THROTTLE_RATES = {"user": "3/minute", "anon": "1/minute"}
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(buyer)
    assert [anonymous.get("/agents/").status_code for _ in range(2)] == [200, 429]
    assert [signed_in.get("/agents/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_static_files_and_the_api_are_not_counted_by_the_page_throttle(settings) -> None:
    settings.PAGE_THROTTLE_RATES = {"user": "100/minute", "anon": "1/minute"}
    client = Client()
    for _ in range(3):
        assert client.get("/static/css/does-not-matter.css").status_code != 429
        assert client.get("/api/v1/agents/").status_code == 200
    assert client.get("/agents/").status_code == 200


def test_the_sign_in_lock_out_counts_the_real_address_not_a_forged_one(settings, buyer: User) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXIES = 0
    client = Client()
    for n in range(2):
        client.post(
            "/accounts/login/",
            {"username": buyer.username, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    response = client.post(
        "/accounts/login/",
        {"username": buyer.username, "password": "wrong"},
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert "Too many failed sign-in attempts" in response.content.decode()
