"""A vendor writes a pact with an error, fixes it live, publishes; a following buyer is told."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from pacts.demo_documents import refunds_v3_loosened, with_human_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("trust-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_vendor_fixes_an_error_and_publishes_and_the_buyer_is_told(live_server, browser, screenshot) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    base = live_server.url

    vendor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(vendor, base, "vendor")
    vendor.goto(f"{base}/agents/refund-bot/")
    vendor.get_by_role("link", name="Edit draft v4").click()

    document = with_human_review(refunds_v3_loosened())  # v3 as the demo published it
    document["obligations"][1]["threshold"] = 1800  # latency tightened
    document["obligations"][0]["min_samples"] = 150  # resolution rate loosened
    broken = json.loads(json.dumps(document))
    broken["obligations"][0]["threshold"] = 92  # a rate of 9200 %
    editor = vendor.get_by_label("Pact document (JSON or YAML)")
    editor.fill(json.dumps(broken, indent=2))
    errors = vendor.get_by_test_id("validation-errors")
    errors.wait_for()
    assert "$.obligations[0].threshold" in errors.inner_text()
    assert "between 0 and 1" in errors.inner_text()
    screenshot(vendor, "editor-error")

    editor.fill(json.dumps(document, indent=2))
    ok = vendor.get_by_test_id("validation-ok")
    ok.wait_for()
    assert "95th percentile of latency_ms ≤ 1800 ms" in ok.inner_text()
    screenshot(vendor, "editor-valid")
    vendor.get_by_role("button", name="Save draft").click()
    vendor.get_by_text("Draft v4 saved.").wait_for()

    vendor.get_by_label("I understand a published version can never be changed.").check()
    vendor.once("dialog", lambda dialog: dialog.accept())
    vendor.get_by_role("button", name="Publish v4").click()
    vendor.get_by_text("Version 4 published").wait_for()
    assert vendor.get_by_test_id("version-status").inner_text() == "in force"
    screenshot(vendor, "published")

    buyer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(buyer, base, "buyer")
    assert buyer.locator(".badge-count").first.inner_text() != "0"
    buyer.get_by_role("link", name="Notifications").click()
    note = buyer.get_by_test_id("notification").filter(has_text="v4 published")
    assert "Loosened clauses: resolution-rate." in note.inner_text()
    screenshot(buyer, "notifications")
    note.get_by_role("link").click()
    buyer.wait_for_url("**/diff/?from=3&to=4")
    assert buyer.get_by_test_id("diff-direction").inner_text() == "loosened"
    assert "loosened" in buyer.get_by_test_id("clause-resolution-rate").inner_text()
    assert "tightened" in buyer.get_by_test_id("clause-latency-p95").inner_text()
    screenshot(buyer, "diff")
    buyer.goto(f"{base}/agents/refund-bot/")
    assert buyer.get_by_test_id("version-in-force").inner_text() == "v4 in force"
    screenshot(buyer, "agent-page")


def test_directory_and_stale_marking(live_server, page, screenshot) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    page.goto(f"{live_server.url}/agents/")
    assert page.get_by_role("link", name="Helix Scheduler").is_visible()
    page.get_by_label("Review status").select_option("1")
    page.wait_for_url("**stale=1**")
    page.get_by_role("link", name="Helix Scheduler").wait_for()
    assert page.get_by_role("link", name="Refund Bot").count() == 0
    screenshot(page, "directory-stale")
    page.goto(f"{live_server.url}/agents/helix-scheduler/")
    assert page.get_by_test_id("stale-pact").is_visible()
    screenshot(page, "stale-agent")
