"""Chromium: a buyer disputes a met verdict with "Dispute this", the vendor responds, an arbiter claims it from the
queue and rules it upheld with a service credit, and the buyer sees the ruling move the score and fill the ledger."""

from __future__ import annotations

import copy
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_members_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
RATIONALE = (
    "The buyer's request log (attached to its filing) shows 40 % of refunds failing on the 28th, which the "
    "vendor's telemetry never counted; the vendor's response does not contest the log. The clause was breached."
)


def shot(page, screenshot, name: str) -> None:  # type: ignore[no-untyped-def]
    """The project's artifact, and a copy under /tmp/shots/ to look at."""
    SHOTS.mkdir(exist_ok=True)
    path = screenshot(page, name)
    (SHOTS / f"{name}.png").write_bytes(path.read_bytes())


def test_a_buyer_disputes_a_verdict_an_arbiter_rules_and_the_score_and_ledger_follow(
    live_server, browser, screenshot, tmp_path
) -> None:
    from accounts.models import User
    from evidence.services import evidence_submit
    from pacts import services as pact_services
    from pacts.demo_documents import REFUNDS_V1
    from reputation.engagements import engagement_start
    from reputation.models import LedgerEntry, Reputation, WebhookEndpoint
    from tests.factories import wire_record

    call_command("seed_demo", stdout=io.StringIO())
    WebhookEndpoint.objects.update(enabled=False)  # the demo endpoint is not reachable from a test
    vendor, buyer = User.objects.get(username="vendor"), User.objects.get(username="buyer")
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(id="payout-accuracy", severity="major", threshold=0.9, min_samples=1)
    clause["on_breach"] = [{"action": "service_credit", "percent": 10}]
    document["obligations"] = [clause]
    agent = pact_services.agent_create(user=vendor, name="Payout Bot", slug="payout-bot", consequence_level="high")
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Payouts", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    engagement_start(
        user=buyer,
        agent=agent,
        monthly_fee="3000.00",
        currency="EUR",
        starts_on=timezone.localdate() - timedelta(days=40),
    )
    evidence_submit(agent=agent, items=[wire_record(successes=99, trials=100)], user=vendor)  # met
    score_before = Reputation.objects.get(agent=agent).score
    context = {"viewport": {"width": 1280, "height": 900}}

    # The buyer: "Dispute this" on the clause page, the form prefilled, an attachment, filed.
    page = browser.new_context(**context).new_page()
    sign_in(page, live_server.url, "buyer")
    page.goto(f"{live_server.url}/agents/payout-bot/clauses/{pact.pk}/payout-accuracy/")
    page.get_by_test_id("dispute-this").click()
    page.wait_for_url(re.compile(r".*/disputes/new/\?agent=payout-bot&subject_type=verdict.*"))
    assert "Met" in page.get_by_test_id("subject-verdict").inner_text()
    assert "yours may be the first" in page.get_by_test_id("precedent").inner_text()
    page.get_by_label("What you claim").select_option("breach_not_recorded")
    page.get_by_label("Requested remedy").fill("Record the breach and credit us 10 %.")
    page.get_by_label("Statement").fill(
        "Our request log shows 40 % of payouts failed on the 28th; telemetry missed it."
    )
    log = tmp_path / "requests.csv"
    log.write_text("at,outcome\n2026-11-28T10:00:00Z,failed\n")
    page.get_by_label("Attachments").set_input_files(str(log))
    shot(page, screenshot, "file-form")
    page.get_by_role("button", name="File the dispute").click()
    page.wait_for_url(re.compile(r".*/disputes/\d+/$"))
    dispute_url = page.url
    assert "Awaiting response" in page.get_by_test_id("dispute-status").inner_text()
    assert re.search(r"due in (4 days 23 h|5 days 0 h)", page.get_by_test_id("deadline").inner_text())
    assert page.get_by_test_id("claimant-side").get_by_test_id("attachment").inner_text() == "requests.csv"

    # The vendor responds (htmx: the dispute re-renders in place).
    vendor_page = browser.new_context(**context).new_page()
    sign_in(vendor_page, live_server.url, "vendor")
    vendor_page.goto(dispute_url)
    respond = vendor_page.get_by_test_id("action-respond")
    respond.get_by_label("Your response").fill("Our telemetry samples every payout; the 28th looks complete to us.")
    respond.get_by_role("button", name="Submit the response").click()
    vendor_page.get_by_test_id("flash").wait_for()
    assert "Under review" in vendor_page.get_by_test_id("dispute-status").inner_text()
    assert vendor_page.get_by_test_id("respondent-side").get_by_test_id("submission").count() == 1
    assert vendor_page.get_by_test_id("action-respond").count() == 0

    # The arbiter signs in to the queue summary, claims it in the queue, and rules.
    arbiter_page = browser.new_context(**context).new_page()
    sign_in(arbiter_page, live_server.url, "arbiter")
    assert arbiter_page.get_by_test_id("home-queue").is_visible()
    assert arbiter_page.get_by_test_id("home-queue-row").filter(has_text="Payout Bot").count() == 1
    shot(arbiter_page, screenshot, "arbiter-home")
    arbiter_page.get_by_role("link", name="Open the queue").click()
    arbiter_page.get_by_label("Agent").fill("payout-bot")
    arbiter_page.get_by_label("Agent").press("Enter")
    arbiter_page.wait_for_url(re.compile(r".*agent=payout-bot.*"))
    row = arbiter_page.get_by_test_id("queue-row").filter(has_text="Payout Bot")
    assert row.count() == 1 and "Ruling due" in row.inner_text()
    shot(arbiter_page, screenshot, "queue")
    row.get_by_role("button", name="Claim").click()
    row = arbiter_page.get_by_test_id("queue-row").filter(has_text="Payout Bot")
    expect(row).to_contain_text("assigned to you")
    row.get_by_role("link", name="Open").click()
    arbiter_page.wait_for_url(dispute_url)
    assert arbiter_page.get_by_test_id("arbiter").inner_text() == "arbiter"
    shot(arbiter_page, screenshot, "dispute-under-review")
    form = arbiter_page.get_by_test_id("ruling-form")
    form.get_by_label("Upheld", exact=True).check()
    form.get_by_label("Rationale").fill(RATIONALE[:60])
    assert form.locator("#rationale-count").inner_text() == str(len(RATIONALE[:60].strip()))
    form.get_by_label("Rationale").fill(RATIONALE)
    assert form.locator("#rationale-count").inner_text() == str(len(RATIONALE))
    credit = form.get_by_label("Service credit (% of the monthly fee)")
    assert credit.get_attribute("max") == "10"
    credit.fill("10")
    form.locator("[data-testid=consequences]").scroll_into_view_if_needed()
    shot(arbiter_page, screenshot, "ruling-form")
    arbiter_page.once("dialog", lambda dialog: dialog.accept())
    form.get_by_role("button", name="Record the ruling").click()
    arbiter_page.get_by_test_id("flash").wait_for()
    assert "Ruled" in arbiter_page.get_by_test_id("dispute-status").inner_text()
    ruling = arbiter_page.get_by_test_id("ruling")
    assert "Upheld" in ruling.inner_text() and "a service credit of 10 % of the monthly fee" in ruling.inner_text()
    shot(arbiter_page, screenshot, "dispute-ruled")

    # The buyer: the dispute page, the score's explanation and the ledger's new credit.
    page.goto(dispute_url)
    assert page.get_by_test_id("action-appeal").is_visible()
    assert "Appeal window closes" in page.get_by_test_id("deadline").inner_text()
    shot(page, screenshot, "dispute-buyer-after-ruling")
    page.goto(f"{live_server.url}/agents/payout-bot/score/")
    link = page.get_by_test_id("source-link").first
    assert re.fullmatch(r"ruling #\d+ \(upheld\) on clause payout-accuracy", link.inner_text())
    assert Reputation.objects.get(agent=agent).score < score_before
    shot(page, screenshot, "score-explains-the-ruling")
    page.goto(f"{live_server.url}/ledger/?agent=payout-bot")
    credit_entry = LedgerEntry.objects.get(agent=agent, ruling_id__isnull=False)
    entry = page.get_by_test_id("ledger-entry").filter(has_text="Payout Bot")
    assert entry.count() == 1 and str(credit_entry.amount) in entry.inner_text() and "Owed" in entry.inner_text()
    shot(page, screenshot, "ledger-after-the-ruling")
    page.goto(f"{live_server.url}/disputes/precedent/")
    assert page.get_by_test_id("precedent-ruling").count() >= 1  # the demo's closed disputes
    shot(page, screenshot, "precedent")
