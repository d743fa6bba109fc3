"""Diligence reports (reputation.report, .report_jobs, .api.report, .report_views): the signed JSON, its offline
verification (in process and by the served zipapp), redaction per requester, the PDF and its render job."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from evidence import services as evidence_services
from reputation import report_hooks
from reputation.models import ReportJob
from reputation.report import report_build
from reputation.report_jobs import report_job_render, report_job_request
from transparency import log as tlog
from transparency.verifier import verifier_pyz
from trustcore.verify import BundleInvalid, bundle_sha256, verify_report
from verdicts.evaluation import agent_evaluate

REPORT = "/api/v1/agents/refund-bot/report/"


@pytest.fixture
def world(published_pact, agent, vendor, wire):
    """Refund Bot with public and restricted evidence, evaluated, under a signed checkpoint."""
    evidence_services.evidence_submit(
        agent=agent,
        items=[wire(successes=190, trials=200), wire(visibility="restricted", successes=3, trials=200)],
        user=vendor,
    )
    agent_evaluate(agent_id=agent.pk)
    tlog.checkpoint_sign()
    return agent


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def flip(text: str, needle: str, offset: int = 0) -> str:
    """``text`` with one byte changed ``offset`` characters after ``needle`` (a digit or letter: still valid JSON)."""
    at = text.index(needle) + len(needle) + offset
    ch = text[at]
    changed = str((int(ch) + 1) % 10) if ch.isdigit() else ch.swapcase() if ch.isalpha() else chr(ord(ch) ^ 1)
    return text[:at] + changed + text[at + 1 :]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


# --- the JSON report -----------------------------------------------------------------------------------------------


def test_json_report_carries_scores_clauses_checkpoint_and_bundle_hash(world, vendor, bearer, key_pem) -> None:
    response = bearer(vendor).get(REPORT, {"format": "json", "bundle": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    report = json.loads(response.content)
    assert report["format"] == "diligence-report/1" and report["produced_at"].endswith("Z")
    assert report["requester"]["organization"] == {"slug": "acme-agents", "name": "Acme Agents", "kind": "vendor"}
    (entry,) = report["agents"]
    assert entry["agent"] == "refund-bot" and entry["name"] == "Refund Bot"
    assert {"tier", "score", "lower_bound", "clauses", "rulings", "bundle"} <= set(entry)
    assert {c["clause_id"] for c in entry["clauses"]} >= {"resolution-rate"}
    assert all({"metric", "status", "measured", "threshold"} <= set(c) for c in entry["clauses"])
    assert report["log"]["checkpoint"] == tlog.checkpoint_latest().note
    assert report["log"]["size"] == tlog.checkpoint_latest().size
    assert entry["bundle"]["sha256"] == bundle_sha256(entry["bundle"]["document"])
    assert report["withheld"] == []  # the vendor sees everything of its own agent
    summary = verify_report(report, key_pem)
    assert summary["agents"] == ["refund-bot"] and summary["bundles"][0]["records"] == 2


def test_report_hides_restricted_evidence_from_a_buyer_and_names_it_withheld(world, vendor, buyer, key_pem) -> None:
    restricted = world.evidence.get(visibility="restricted")
    for_buyer = report_build(user=buyer, slugs=["refund-bot"], embed_bundles=True)
    text = json.dumps(for_buyer)
    assert restricted.canonical not in text and json.loads(restricted.canonical)["salt"] not in text
    clause = next(c for c in for_buyer["agents"][0]["clauses"] if c["clause_id"] == "resolution-rate")
    assert clause["withheld"] is True and clause["measured"] is None and clause["samples"] is None
    kinds = {(w["kind"], w.get("clause_id")) for w in for_buyer["withheld"]}
    assert ("verdict_values", "resolution-rate") in kinds and ("restricted_records", "resolution-rate") in kinds
    assert for_buyer["requester"]["organization"]["name"] == "Northwind Bank"
    assert for_buyer["agents"][0]["scope"] == "public records only"
    verify_report(for_buyer, key_pem)  # still verifies: the portal signed the buyer's scope
    for_vendor = report_build(user=vendor, slugs=["refund-bot"])
    assert (
        next(c for c in for_vendor["agents"][0]["clauses"] if c["clause_id"] == "resolution-rate")["measured"]
        is not None
    )


def test_anonymous_report_names_no_organization(world, api_client) -> None:
    report = api_client.get(REPORT).json()
    assert report["requester"] == {"user": None, "organization": None, "role": "anonymous"}
    assert report["withheld"]


def test_rulings_come_through_the_hook_and_a_redacted_rationale_is_named_withheld(world, buyer, monkeypatch) -> None:
    def provider(*, user, agent):
        return [
            {"id": 7, "outcome": "upheld", "stage": "first", "rationale": None, "redacted": True, "created_at": None}
        ]

    monkeypatch.setattr(report_hooks, "rulings", [provider])
    report = report_build(user=buyer, slugs=["refund-bot"])
    assert report["agents"][0]["rulings"][0]["id"] == 7
    assert {"agent": "refund-bot", "kind": "ruling_rationale", "ruling": 7}.items() <= next(
        w for w in report["withheld"] if w["kind"] == "ruling_rationale"
    ).items()


def test_an_unseen_agent_is_a_404(world, buyer, bearer) -> None:
    assert bearer(buyer).get("/api/v1/agents/no-such-bot/report/").status_code == 404


# --- offline verification ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("needle", "offset", "named"),
    [
        ('"score": ', 0, "agents[0].score"),
        ('"name": "Refund Bot', -3, "agents[0].name"),
        ('"produced_at": "', 3, "produced_at"),
        ("ROOT", 3, "checkpoint"),
        ('"sig": "', 5, "receipt signature"),
        ('"what": "the measured', -3, "withheld[0].what"),
    ],
)
def test_a_flipped_byte_fails_naming_what_broke(world, buyer, key_pem, needle, offset, named) -> None:
    text = json.dumps(report_build(user=buyer, slugs=["refund-bot"]), indent=1)
    verify_report(json.loads(text), key_pem)
    if needle == "ROOT":
        needle = tlog.checkpoint_latest().note.splitlines()[2][:8]
    with pytest.raises(BundleInvalid, match=named.replace("[", r"\[").replace("]", r"\]")):
        verify_report(json.loads(flip(text, needle, offset)), key_pem)


def test_the_served_zipapp_verifies_the_report_and_refuses_a_flipped_byte(world, buyer, bearer, key_pem, tmp_path):
    pyz = tmp_path / "trust-verify.pyz"
    pyz.write_bytes(verifier_pyz())
    (tmp_path / "log-key.pem").write_bytes(key_pem)
    text = bearer(buyer).get(REPORT, {"format": "json", "bundle": "1"}).content.decode()
    good, bad = tmp_path / "report.json", tmp_path / "tampered.json"
    good.write_text(text)
    bad.write_text(flip(text, '"lower_bound": '))

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(pyz), "report", str(path), "--key", str(tmp_path / "log-key.pem")]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)

    ok = run(good)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: diligence report of refund-bot") and "OK: bundle of refund-bot" in ok.stdout
    assert "WITHHELD: refund-bot" in ok.stdout
    failed = run(bad)
    assert failed.returncode == 1 and "agents[0].lower_bound" in failed.stderr


# --- the PDF and its render job ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_pdf_has_the_agent_name_and_checkpoint_and_its_json_twin_verifies(world, buyer, bearer, key_pem, media) -> None:
    """As in the embedded default: no transaction around the request, the task runs eagerly on commit, so the
    answer is the PDF itself."""
    client = bearer(buyer)
    response = client.get(REPORT, {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    checkpoint = tlog.checkpoint_latest().note
    assert "Refund Bot" in text
    assert checkpoint.splitlines()[2] in text.replace("\n", "")  # the root hash line of the signed note
    assert "Withheld from this report" in text and "resolution-rate" in text
    job = ReportJob.objects.get()
    assert job.status == "done" and job.progress == 100 and job.render_ms is not None
    assert response["Content-Location"] == f"/api/v1/reports/{job.pk}/"
    twin = client.get(f"/api/v1/reports/{job.pk}/json/")
    report = json.loads(twin.content)
    assert verify_report(report, key_pem)["agents"] == ["refund-bot"]
    assert report["agents"][0]["bundle"]["sha256"] in text.replace("\n", "")


def test_a_job_goes_queued_running_failed_retried_done(world, buyer, bearer, media, monkeypatch, client) -> None:
    job = report_job_request(user=buyer, slugs=["refund-bot"])  # on_commit not run: still queued
    assert (job.status, job.progress) == ("queued", 0)
    api = bearer(buyer)
    assert api.get(f"/api/v1/reports/{job.pk}/").json()["status"] == "queued"
    assert api.get(f"/api/v1/reports/{job.pk}/pdf/").status_code == 409
    seen: list[tuple[str, int]] = []

    def broken(report):
        row = ReportJob.objects.get(pk=job.pk)
        seen.append((row.status, row.progress))
        raise RuntimeError("no fonts today")

    monkeypatch.setattr("reputation.report_pdf.report_pdf", broken)
    assert report_job_render(job_id=job.pk) == "failed"
    assert seen == [("running", 90)]
    job.refresh_from_db()
    assert job.status == "failed" and "no fonts today" in job.error and job.attempts == 1
    client.force_login(buyer)
    fragment = client.get(f"/reports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "no fonts today" in fragment and 'data-testid="retry"' in fragment and "every 1s" not in fragment
    assert report_job_render(job_id=job.pk) == "failed"  # a second run of the task changes nothing
    monkeypatch.undo()
    retried = api.post(f"/api/v1/reports/{job.pk}/retry/")
    assert retried.status_code == 202  # eager: queued, then rendered on commit
    job.refresh_from_db()
    assert job.status == "queued"
    assert report_job_render(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts, job.error) == ("done", 100, 2, "")
    assert api.post(f"/api/v1/reports/{job.pk}/retry/").status_code == 409


def test_the_page_polls_a_running_job_every_second(world, buyer, client) -> None:
    job = report_job_request(user=buyer, slugs=["refund-bot"])
    ReportJob.objects.filter(pk=job.pk).update(status="running", progress=40, step="Building the evidence bundle")
    client.force_login(buyer)
    fragment = client.get(f"/reports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert (
        'hx-trigger="every 1s"' in fragment and 'value="40"' in fragment and "Building the evidence bundle" in fragment
    )


def test_a_job_is_its_requesters_alone(world, buyer, buyer2, vendor, bearer, client) -> None:
    job = report_job_request(user=buyer, slugs=["refund-bot"])
    for other in (buyer2, vendor):
        api = bearer(other)
        for path in ("", "pdf/", "json/"):
            assert api.get(f"/api/v1/reports/{job.pk}/{path}").status_code == 404
        assert api.post(f"/api/v1/reports/{job.pk}/retry/").status_code == 404
        client.force_login(other)
        assert client.get(f"/reports/{job.pk}/").status_code == 404


def test_a_pdf_needs_a_signed_in_person(world, api_client, client) -> None:
    assert api_client.get(REPORT, {"format": "pdf"}).status_code == 401
    assert client.post("/agents/refund-bot/report/pdf/").status_code == 302  # to the sign-in page
    assert not ReportJob.objects.exists()


# --- hostile input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        (REPORT, {"format": "xml"}, "format"),
        (REPORT, {"format": ""}, "format"),
        (REPORT, {"bundle": "maybe"}, "bundle"),
        (REPORT, {"format": "pdf", "bundle": "1"}, "bundle"),
        (REPORT, {"agents": "refund-bot"}, "agents"),
        (REPORT, {"format[]": "json"}, "format[]"),
        ("/api/v1/compare/report/", {}, "agents"),
        ("/api/v1/compare/report/", {"agents": ""}, "agents"),
        ("/api/v1/compare/report/", {"agents": "refund-bot,refund-bot"}, "agents"),
        ("/api/v1/compare/report/", {"agents": ",".join(f"a{i}" for i in range(5))}, "agents"),
        ("/api/v1/compare/report/", {"agents": "refund-bot,<script>"}, "agents"),
        ("/api/v1/compare/report/", {"agents": "refund-bot", "policy": "1"}, "policy"),
    ],
)
def test_hostile_parameters_are_a_400_naming_the_field(world, buyer, bearer, path, query, field) -> None:
    response = bearer(buyer).get(path, query)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_repeated_format_is_refused(world, buyer, bearer) -> None:
    response = bearer(buyer).get(f"{REPORT}?format=json&format=pdf")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "format"


# --- pages ---------------------------------------------------------------------------------------------------------


def test_the_page_states_the_date_withheld_evidence_checkpoint_and_hash(world, buyer, client) -> None:
    client.force_login(buyer)
    response = client.get("/agents/refund-bot/report/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="produced-at"' in page and "Withheld from this report" in page
    assert tlog.checkpoint_latest().note.splitlines()[2] in page
    assert 'data-testid="bundle-hash"' in page and "Download JSON" in page and "Download PDF" in page
    assert "/api/v1/agents/refund-bot/report/?format=json&amp;bundle=1" in page
    assert "css/report.css" in page


def test_download_pdf_from_the_page_queues_then_shows_the_link(
    world, buyer, client, media, django_capture_on_commit_callbacks
):
    client.force_login(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/agents/refund-bot/report/pdf/", HTTP_HX_REQUEST="true")
    assert response.status_code == 202 and 'hx-trigger="every 1s"' in response.content.decode()
    job = ReportJob.objects.get()
    fragment = client.get(f"/reports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in fragment and 'data-testid="pdf-link"' in fragment
    page = client.get("/agents/refund-bot/report/").content.decode()
    assert f"/api/v1/reports/{job.pk}/pdf/" in page  # the page shows the requester's latest render
    pdf = client.get(f"/api/v1/reports/{job.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_a_second_request_while_rendering_reuses_the_open_job(world, buyer) -> None:
    first = report_job_request(user=buyer, slugs=["refund-bot"])
    assert report_job_request(user=buyer, slugs=["refund-bot"]).pk == first.pk


def test_compare_page_and_api_cover_both_agents(world, vendor, buyer, bearer, client, key_pem) -> None:
    from pacts import services as pact_services

    pact_services.agent_create(user=vendor, name="Code Reviewer", slug="code-reviewer", consequence_level="low")
    report = bearer(buyer).get("/api/v1/compare/report/", {"agents": "refund-bot,code-reviewer"}).json()
    assert [a["agent"] for a in report["agents"]] == ["refund-bot", "code-reviewer"]
    if "comparison" in report:  # reputation.compare's body, once that module is in
        assert [a["agent"] for a in report["comparison"]["agents"]] == ["refund-bot", "code-reviewer"]
    verify_report(report, key_pem)
    client.force_login(buyer)
    page = client.get("/compare/report/", {"agents": "refund-bot,code-reviewer"}).content.decode()
    assert "Code Reviewer" in page and "Refund Bot" in page
    assert client.get("/compare/report/", {"agents": ""}).status_code == 400
