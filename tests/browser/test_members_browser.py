"""Chromium: an owner invites a colleague, who opens the link, creates an account and lands in the organization."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("trust-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_an_owner_invites_and_the_invitee_joins_through_the_link(live_server, browser, screenshot) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    owner = browser.new_context()
    page = owner.new_page()
    sign_in(page, live_server.url, "vendor")
    page.get_by_role("link", name="Members", exact=True).click()
    page.get_by_label("Role", exact=True).select_option("member")
    page.get_by_label("Note").fill("Dana, QA")
    page.get_by_role("button", name="Create invitation link").click()
    link = page.locator("#invite-url").inner_text().strip()
    assert "/accounts/invitations/inv_" in link
    screenshot(page, "invitation-link")

    invitee = browser.new_context().new_page()
    invitee.goto(link)
    assert invitee.get_by_role("heading", name="Join Acme Agents").is_visible()
    invitee.get_by_label("Username").fill("dana")
    invitee.get_by_label("Password", exact=True).fill("a-long-passphrase-2026")
    invitee.get_by_label("Password (again)").fill("a-long-passphrase-2026")
    invitee.get_by_role("button", name="Create account and join").click()
    invitee.wait_for_url(f"{live_server.url}/")
    assert invitee.get_by_role("heading", name="Vendor home").is_visible()
    screenshot(invitee, "invitee-home")

    invitee.goto(link)  # single use
    assert "accepted" in invitee.get_by_test_id("invitation-error").inner_text()

    page.reload()
    rows = page.get_by_test_id("member-row")
    assert rows.filter(has_text="dana").count() == 1
    assert "accepted by @dana" in page.get_by_test_id("invitation-row").first.inner_text()
    screenshot(page, "members-after-join")
