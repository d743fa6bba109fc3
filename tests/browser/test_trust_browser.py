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


def test_one_breach_moves_tier_decision_and_ledger_on_the_buyers_pages(live_server, browser, screenshot) -> None:
    """The buyer watches a fresh agent: probation and allowed, then one breach in evidence, and on the next page
    load the Trust panel says suspended, the policy preview denies it and the ledger holds the credit it owes."""
    import copy
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from evidence.services import evidence_submit
    from pacts import services as pact_services
    from pacts.demo_documents import REFUNDS_V1
    from reputation.engagements import engagement_start
    from reputation.models import WebhookEndpoint
    from reputation.policies import policy_create
    from tests.factories import wire_record

    call_command("seed_demo", stdout=io.StringIO())
    WebhookEndpoint.objects.update(enabled=False)  # the demo endpoint is not reachable from a test
    vendor, buyer = User.objects.get(username="vendor"), User.objects.get(username="buyer")
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(severity="critical", threshold=0.9, min_samples=1)
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
    policy = policy_create(user=buyer, organization=buyer.organization, name="Payouts", rules={"min_tier": "probation"})
    evidence_submit(agent=agent, items=[wire_record(successes=99, trials=100)], user=vendor)

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, "buyer")
    page.goto(f"{live_server.url}/agents/payout-bot/")
    assert page.get_by_test_id("score-panel").get_by_test_id("tier").inner_text().strip() == "Probation"
    page.goto(f"{live_server.url}/policies/{policy.pk}/")
    row = page.get_by_test_id("preview-row").filter(has_text="Payout Bot")
    assert "allow" in row.inner_text()

    evidence_submit(agent=agent, items=[wire_record(successes=1, trials=1000)], user=vendor)  # the breach

    page.goto(f"{live_server.url}/agents/payout-bot/")
    panel = page.get_by_test_id("score-panel")
    assert panel.get_by_test_id("tier").inner_text().strip() == "Suspended"
    panel.scroll_into_view_if_needed()
    screenshot(page, "after-the-breach")
    page.goto(f"{live_server.url}/policies/{policy.pk}/")
    assert "deny" in page.get_by_test_id("preview-row").filter(has_text="Payout Bot").inner_text()
    page.goto(f"{live_server.url}/ledger/")
    entry = page.get_by_test_id("ledger-entry").filter(has_text="Payout Bot")
    from reputation.models import LedgerEntry

    owed = LedgerEntry.objects.get(agent=agent)  # 10 % of 3000.00, pro rata to the days engaged this month
    assert owed.amount > 0 and owed.currency == "EUR"
    assert entry.count() == 1 and "Pending cure" in entry.inner_text() and str(owed.amount) in entry.inner_text()
    screenshot(page, "ledger-after-the-breach")
