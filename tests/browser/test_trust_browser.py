"""Chromium: a buyer reads an agent's trust (score panel, why this score), writes an access policy while the live
preview shows which agents it allows, and reads the ledger."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.browser.test_members_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_reads_trust_writes_a_policy_with_a_live_preview_and_reads_the_ledger(
    live_server, browser, screenshot
) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "buyer")

    page.goto(f"{base}/agents/claims-triage/")
    panel = page.get_by_test_id("score-panel")
    assert panel.get_by_test_id("tier").inner_text().strip() == "Suspended"
    assert "clause triage-accuracy breached" in panel.inner_text()
    panel.scroll_into_view_if_needed()
    screenshot(page, "score-panel-suspended")
    panel.get_by_role("link", name="Why this score?").click()
    assert page.get_by_test_id("tier-change").count() >= 2
    assert page.get_by_test_id("score-event").count() >= 2
    screenshot(page, "why-this-score")

    page.goto(f"{base}/policies/")
    page.get_by_label("Name").fill("Production use")
    page.get_by_label("Minimum tier").select_option("standard")
    preview = page.get_by_test_id("policy-preview")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=preview-row]').length > 0")
    rows = preview.get_by_test_id("preview-row")
    allowed = {rows.nth(i).locator("td").first.inner_text(): rows.nth(i).inner_text() for i in range(rows.count())}
    assert any("Claims Triage" in name for name in allowed)
    triage = next(text for name, text in allowed.items() if "Claims Triage" in name)
    assert "deny" in triage and "tier suspended is below standard" in triage
    screenshot(page, "policy-preview")
    page.get_by_role("button", name="Create policy").click()
    page.wait_for_url(f"{base}/policies/*/")
    assert page.get_by_role("heading", name="Production use").is_visible()

    page.goto(f"{base}/ledger/")
    statuses = page.get_by_test_id("entry-status").all_inner_texts()
    assert statuses and "Pending cure" in statuses
    assert page.get_by_test_id("ledger-totals").is_visible()
    screenshot(page, "ledger")
