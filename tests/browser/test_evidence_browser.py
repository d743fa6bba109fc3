"""A vendor imports a real tool result through the page; buyers see what they may, with freshness."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.test_pact_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_vendor_imports_inspect_log_and_buyers_see_evidence(live_server, browser, screenshot) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    base = live_server.url
    vendor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(vendor, base, "vendor")
    vendor.goto(f"{base}/agents/refund-bot/")
    vendor.locator("main").get_by_role("link", name="Evidence", exact=True).click()
    vendor.wait_for_url("**/agents/refund-bot/evidence/")
    vendor.get_by_label("File", exact=True).set_input_files(str(FIXTURES / "inspect" / "refund_policy_eval.json"))
    vendor.get_by_label("Format").select_option("inspect")
    vendor.get_by_role("button", name="Import").click()
    result = vendor.get_by_test_id("import-result")
    result.wait_for()
    assert "inspect_ai 0.3.285: 1 record(s)" in result.inner_text()
    screenshot(vendor, "vendor-import")
    assert vendor.get_by_test_id("evidence-row").count() == 25  # a full page
    assert "restricted" in vendor.content()

    buyer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(buyer, base, "buyer2")  # Globex: no grant
    buyer.goto(f"{base}/agents/refund-bot/evidence/?kind=attestation")
    buyer.get_by_text("No evidence matches.").wait_for()
    buyer.goto(f"{base}/agents/refund-bot/evidence/")
    assert "day old" in buyer.content() or "days old" in buyer.content()
    screenshot(buyer, "buyer-evidence")

    granted = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(granted, base, "buyer")  # Northwind: holds a grant
    granted.goto(f"{base}/agents/refund-bot/evidence/?kind=attestation")
    assert granted.get_by_test_id("evidence-row").count() == 3
    granted.get_by_test_id("evidence-row").first.get_by_role("link").first.click()
    granted.get_by_text("Canonical hash").wait_for()
    screenshot(granted, "restricted-record")
