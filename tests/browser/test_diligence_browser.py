"""Chromium, issue 13: a buyer's diligence through the real pages.

1. A buyer filters and sorts the directory, opens a profile, compares three agents and asks for the restricted
   evidence; the vendor's owner approves it behind an NDA; the buyer accepts it and reads the restricted record; past
   the grant's expiry (time-machine moves the live server's clock: it runs in this process) the record is a 404 and
   its value is nowhere: record page, evidence list, clause page and chart, bundle download, report.
2. From the directory to a signed diligence report, its JSON and PDF downloaded, the JSON verified with the zipapp
   verifier as a recipient would (and a flipped byte failing), timing the clicks.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_members_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
MARKER = "Quillfeather Assurance 7Q4X"  # only in the restricted record's payload
NDA = "Globex Retail keeps Acme Agents' restricted evidence confidential and uses it for vendor due diligence only."
CONTEXT = {"viewport": {"width": 1366, "height": 900}, "accept_downloads": True}


def shot(page, screenshot, name: str) -> None:  # type: ignore[no-untyped-def]
    """The project's artifact, and a copy under /tmp/shots/ to look at."""
    SHOTS.mkdir(exist_ok=True)
    path = screenshot(page, name)
    (SHOTS / f"diligence-{name}.png").write_bytes(path.read_bytes())


def _restricted_record() -> int:
    """One more of the auditor's restricted attestations of Refund Bot (its human-review clause rests on them)."""
    from accounts.models import User
    from evidence.services import evidence_submit
    from pacts.models import Agent
    from tests.factories import wire_record

    stored = evidence_submit(
        agent=Agent.objects.get(slug="refund-bot"),
        items=[
            wire_record(
                kind="attestation",
                metric="human_review_pass",
                successes=1,
                trials=1,
                visibility="restricted",
                source={"tool": "external-audit"},
                payload={"auditor": MARKER, "scope": "refund decisions sample, December"},
            )
        ],
        user=User.objects.get(username="vendor"),
    )
    return stored[0].id


def test_a_buyer_asks_for_restricted_evidence_reads_it_behind_an_nda_and_loses_it_at_expiry(
    live_server, browser, screenshot
) -> None:
    from reputation.models import WebhookEndpoint

    call_command("seed_demo", stdout=io.StringIO())
    WebhookEndpoint.objects.update(enabled=False)  # the demo endpoint is not reachable from a test
    record_id = _restricted_record()
    base = live_server.url
    page = browser.new_context(**CONTEXT).new_page()
    sign_in(page, base, "buyer2")  # Globex Retail: no grant on Refund Bot

    # The directory: filter by vendor, sort by score; the URL follows.
    page.get_by_role("link", name="Agents", exact=True).click()
    page.wait_for_url(f"{base}/agents/")
    rows = page.get_by_test_id("directory-row")
    everyone = rows.count()
    assert everyone >= 4
    page.get_by_label("Vendor").select_option(label="Acme Agents")
    page.wait_for_url(re.compile(r".*vendor=acme-agents.*"))
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=directory-row]').length < {everyone}")
    assert "refund-bot" in {rows.nth(i).get_attribute("data-agent") for i in range(rows.count())}
    assert all("Acme Agents" in text for text in rows.all_inner_texts())
    page.get_by_label("Vendor").select_option("")
    page.wait_for_url(lambda url: "vendor=acme" not in url)
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=directory-row]').length === {everyone}")
    page.get_by_test_id("sort-score").click()
    page.wait_for_url("**sort=-score**")
    page.wait_for_function("() => document.querySelector('th[aria-sort=descending] [data-testid=sort-score]')")
    scores = [float(s) for s in page.get_by_test_id("dir-score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)

    # A profile.
    page.locator("[data-testid=directory-row][data-agent=refund-bot]").get_by_role("link", name="Refund Bot").click()
    page.wait_for_url(f"{base}/agents/refund-bot/")
    assert page.get_by_role("heading", name=re.compile("Refund Bot")).first.is_visible()
    expect(page.get_by_test_id("withheld-human-review")).to_be_visible()  # no grant yet: status only
    shot(page, screenshot, "profile")

    # Three agents compared, from the directory's checkboxes.
    page.go_back()
    page.wait_for_url("**/agents/?**sort=-score**")
    others = [rows.nth(i).get_attribute("data-agent") for i in range(rows.count())]
    picked = ["refund-bot", *[slug for slug in others if slug != "refund-bot"][:2]]
    for slug in picked:
        page.get_by_test_id(f"compare-{slug}").check()
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url("**/compare/?agents=**")
    heads = page.get_by_test_id("compare-head")
    assert sorted(heads.nth(i).get_attribute("data-agent") for i in range(heads.count())) == sorted(picked)
    page.wait_for_function("() => document.querySelector('[data-testid=compare-chart] .main-svg')")
    shot(page, screenshot, "compare")

    # "Request access to restricted evidence" on the profile.
    page.goto(f"{base}/agents/refund-bot/")
    panel = page.get_by_test_id("access-panel")
    expect(panel.get_by_text("Request access to restricted evidence")).to_be_visible()
    form = panel.get_by_test_id("request-access")
    form.get_by_label("Reason").fill("Vendor due diligence before our 2027 refunds contract: the external audit.")
    form.get_by_role("button", name="Request access").click()
    page.wait_for_url(f"{base}/access-requests/")
    row = page.get_by_test_id("access-request").filter(has_text="Refund Bot")
    expect(row.get_by_test_id("access-request-status")).to_have_text("pending")
    shot(page, screenshot, "access-request-pending")

    # The vendor's owner approves it for a day, behind an NDA.
    vendor = browser.new_context(**CONTEXT).new_page()
    sign_in(vendor, base, "vendor")
    vendor.get_by_role("link", name="Access requests", exact=True).click()
    vendor.wait_for_url(f"{base}/access-requests/")
    incoming = vendor.get_by_test_id("access-request").filter(has_text="Globex Retail")
    expect(incoming.get_by_test_id("access-request-status")).to_have_text("pending")
    incoming.get_by_text("Approve…").click()
    approve = incoming.get_by_test_id("approve-form")
    approve.get_by_label("Access for (days)").fill("1")
    approve.get_by_label("NDA (optional)").fill(NDA)
    shot(vendor, screenshot, "access-request-approve")
    approve.get_by_role("button", name="Approve").click()
    incoming = vendor.get_by_test_id("access-request").filter(has_text="Globex Retail")
    expect(incoming.get_by_test_id("access-request-status")).to_have_text("approved")
    expect(incoming).to_contain_text("NDA to accept")

    # The buyer: not yet (the NDA first), then the clickwrap.
    page.goto(f"{base}/agents/refund-bot/")
    expect(page.get_by_test_id("access-nda")).to_be_visible()
    page.get_by_test_id("access-nda").get_by_role("link", name="My access requests").click()
    page.wait_for_url(f"{base}/access-requests/")
    clickwrap = page.get_by_test_id("access-request").filter(has_text="Refund Bot").get_by_test_id("nda-clickwrap")
    expect(clickwrap.locator("pre")).to_have_text(NDA)
    shot(page, screenshot, "access-request-nda")
    clickwrap.get_by_label("I accept").check()
    clickwrap.get_by_role("button", name="Accept and open access").click()
    page.wait_for_url(f"{base}/access-requests/")
    row = page.get_by_test_id("access-request").filter(has_text="Refund Bot")
    expect(row.get_by_test_id("nda-record")).to_contain_text("NDA accepted by buyer2")
    expect(row.get_by_test_id("access-request-status")).to_have_text("approved")
    shot(page, screenshot, "access-request-accepted")

    # Access: from the profile's panel to the evidence list, then the record itself.
    page.get_by_role("link", name="Refund Bot").first.click()
    page.wait_for_url(f"{base}/agents/refund-bot/")
    expect(page.get_by_test_id("access-active")).to_be_visible()
    expect(page.get_by_test_id("withheld-human-review")).to_have_count(0)
    board_card = page.get_by_test_id("clause-human-review")
    assert "Samples" in board_card.inner_text()
    page.get_by_test_id("access-active").get_by_role("link", name="Evidence →").click()
    page.wait_for_url(f"{base}/agents/refund-bot/evidence/")
    page.get_by_label("Metric").select_option("human_review_pass")
    page.wait_for_url("**metric=human_review_pass**")
    link = page.get_by_role("link", name=f"#{record_id}", exact=True)
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{base}/evidence/{record_id}/")
    expect(page.locator("main")).to_contain_text(MARKER)
    shot(page, screenshot, "restricted-record")
    clause_url = _clause_url(page, base)
    page.goto(clause_url)
    expect(page.get_by_test_id("withheld")).to_have_count(0)
    expect(page.get_by_role("link", name=f"#{record_id}", exact=True)).to_be_visible()
    bundle = page.request.get(f"{base}/api/v1/agents/refund-bot/bundle/")
    assert bundle.ok and MARKER in bundle.text()
    page.goto(f"{base}/agents/refund-bot/report/")
    expect(page.get_by_test_id("withheld-none")).to_be_visible()

    # Past the expiry: the live server's clock moves with this process's.
    later = timezone.now() + timedelta(days=1, hours=2)
    with time_machine.travel(later, tick=True):
        served = page.request.get(f"{base}/agents/refund-bot/report/")
        from email.utils import parsedate_to_datetime

        server_date = parsedate_to_datetime(served.headers["date"])
        assert abs((server_date - later).total_seconds()) < 120, f"the server's clock says {server_date}"

        response = page.goto(f"{base}/evidence/{record_id}/")
        assert response is not None and response.status == 404
        assert MARKER not in page.content()

        page.goto(f"{base}/agents/refund-bot/evidence/?metric=human_review_pass")
        assert page.get_by_role("link", name=f"#{record_id}", exact=True).count() == 0
        assert page.get_by_test_id("evidence-row").filter(has_text="restricted").count() == 0
        assert MARKER not in page.content()

        page.goto(f"{base}/agents/refund-bot/")
        expect(page.get_by_test_id("withheld-human-review")).to_be_visible()
        expect(page.get_by_test_id("access-active")).to_have_count(0)
        assert MARKER not in page.content()
        shot(page, screenshot, "profile-after-expiry")

        page.goto(clause_url)
        expect(page.get_by_test_id("withheld")).to_be_visible()
        assert page.get_by_role("link", name=f"#{record_id}", exact=True).count() == 0
        assert page.locator("[data-figure=why-figure]").count() == 0  # no chart of the withheld values
        assert MARKER not in page.content()
        shot(page, screenshot, "clause-after-expiry")

        page.goto(f"{base}/agents/refund-bot/evidence/")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download evidence bundle").click()
        body = Path(download.value.path()).read_text()
        assert MARKER not in body
        assert all(r.get("id") != record_id for r in json.loads(body).get("records", []))
        assert MARKER not in page.request.get(f"{base}/api/v1/agents/refund-bot/bundle/").text()

        page.goto(f"{base}/agents/refund-bot/report/")
        expect(page.get_by_test_id("withheld")).to_be_visible()
        assert MARKER not in page.content()
        report = page.request.get(f"{base}/api/v1/agents/refund-bot/report/?format=json&bundle=1")
        assert report.ok and MARKER not in report.text()
        assert any(w["agent"] == "refund-bot" for w in report.json()["withheld"])
        shot(page, screenshot, "report-after-expiry")

        page.goto(f"{base}/access-requests/")
        expect(
            page.get_by_test_id("access-request").filter(has_text="Refund Bot").get_by_test_id("access-request-status")
        ).to_have_text("expired")

        # The vendor's side: the request expired, and its access log holds the buyer's reads while it lasted.
        vendor.goto(f"{base}/access-requests/")
        incoming = vendor.get_by_test_id("access-request").filter(has_text="Globex Retail")
        expect(incoming.get_by_test_id("access-request-status")).to_have_text("expired")
        expect(incoming.get_by_role("button", name="Reactivate")).to_be_visible()
        vendor.get_by_role("link", name="access log").last.click()
        vendor.wait_for_url(f"{base}/agents/refund-bot/access-log/")
        reads = vendor.get_by_test_id("access-log-entry").filter(has_text="buyer2").filter(has_text=f"#{record_id}")
        vias = sorted(reads.nth(i).locator("td").last.inner_text() for i in range(reads.count()))
        # The page and the bundle while access lasted; the 404 after it is no read.
        assert len(vias) == 2 and vias[0] == "Evidence bundle" and vias[1].startswith("Record"), vias


def _clause_url(page, base: str) -> str:  # type: ignore[no-untyped-def]
    """The human-review clause's "Why?" page, as linked from the profile's clause board."""
    page.goto(f"{base}/agents/refund-bot/")
    link = page.get_by_test_id("clause-human-review").get_by_role("link", name=re.compile("^Why"))
    return f"{base}{link.get_attribute('href')}"


def test_a_buyer_goes_from_the_directory_to_a_verified_diligence_report(
    live_server, browser, screenshot, tmp_path
) -> None:
    from reputation.models import WebhookEndpoint

    call_command("seed_demo", stdout=io.StringIO())
    WebhookEndpoint.objects.update(enabled=False)
    base = live_server.url
    page = browser.new_context(**CONTEXT).new_page()
    sign_in(page, base, "buyer")

    started = time.monotonic()
    page.get_by_role("link", name="Agents", exact=True).click()
    page.locator("[data-testid=directory-row][data-agent=refund-bot]").get_by_role("link", name="Refund Bot").click()
    page.wait_for_url(f"{base}/agents/refund-bot/")
    page.get_by_test_id("report-link").click()
    page.wait_for_url(f"{base}/agents/refund-bot/report/")
    expect(page.get_by_test_id("report")).to_be_visible()
    with page.expect_download() as json_download:
        page.get_by_test_id("download-json").click()
    report_path = tmp_path / "report.json"
    json_download.value.save_as(report_path)
    page.get_by_test_id("download-pdf").click()
    job = page.get_by_test_id("report-job")
    expect(job).to_be_visible()
    statuses = [job.get_attribute("data-status")]
    expect(job).to_have_attribute("data-status", "done", timeout=30_000)
    statuses.append(job.get_attribute("data-status"))
    with page.expect_download() as pdf_download:
        job.get_by_test_id("pdf-link").click()
    pdf_path = tmp_path / "report.pdf"
    pdf_download.value.save_as(pdf_path)
    clicks = time.monotonic() - started
    print(f"\ndirectory → profile → report → JSON + PDF: {clicks:.2f} s of clicks (job statuses seen: {statuses})")
    assert clicks < 60
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    shot(page, screenshot, "report")

    # The recipient's tools, from the log page's links.
    page.get_by_role("link", name="Log", exact=True).click()
    with page.expect_download() as key_download:
        page.get_by_role("link", name="Download the public key (PEM)").click()
    with page.expect_download() as verifier_download:
        page.get_by_test_id("verifier-download").click()
    key = tmp_path / "key.pem"
    verifier = tmp_path / "trust-verify.pyz"
    key_download.value.save_as(key)
    verifier_download.value.save_as(verifier)

    def verify(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(verifier), "report", str(path), "--key", str(key)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )

    ok = verify(report_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("OK: diligence report of refund-bot"), ok.stdout
    print(ok.stdout)

    raw = report_path.read_bytes()
    found = re.search(rb'"score":\s*(\d)', raw)
    assert found is not None
    at = found.start(1)
    flipped = raw[:at] + bytes([ord("0") + (raw[at] - ord("0") + 1) % 10]) + raw[at + 1 :]
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(flipped)
    bad = verify(tampered)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    said = bad.stdout + bad.stderr
    assert "FAILED" in said and "agents[0].score" in said, said
    print(said)
