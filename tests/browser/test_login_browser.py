"""Chromium signs in as the demo buyer and sees the buyer home."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_buyer_signs_in_and_sees_buyer_home(live_server, page, screenshot) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Username").fill("buyer")
    page.get_by_label("Password").fill("trust-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Buyer home").is_visible()
    assert page.get_by_test_id("role").inner_text().strip().lower() == "buyer"
    assert "Northwind Bank" in page.content()
    path = screenshot(page, "buyer-home")
    assert path.stat().st_size > 5_000

    page.set_viewport_size({"width": 390, "height": 800})  # a phone
    screenshot(page, "buyer-home-phone")
    assert page.get_by_role("heading", name="Buyer home").is_visible()


def test_token_created_and_revoked_through_htmx(live_server, page, screenshot) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("vendor")
    page.get_by_label("Password").fill("trust-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/accounts/tokens/")
    page.get_by_label("Name").fill("browser pipeline")
    page.get_by_role("button", name="Create token").click()
    issued = page.get_by_test_id("issued-token")
    issued.wait_for()
    assert page.locator("#new-token").inner_text().startswith("tp_")
    screenshot(page, "token-issued")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").first.click()
    page.get_by_text("revoked").first.wait_for()
    screenshot(page, "token-revoked")
