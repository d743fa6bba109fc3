"""The evidence pages (evidence.views) through the Django test client: lists, visibility, imports, details,
the workbench, signing keys."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_digest
from evidence import keyproof, services
from evidence.models import AccessGrant, EvidenceImport, EvidenceRecord, TokenAgentScope, VendorKey
from pacts import services as pact_services
from tests.evidence.files import PROMPTFOO_JSON
from tests.factories import MembershipFactory, key_registration, wire_record
from transparency import log as tlog
from trustcore import dsse

pytestmark = pytest.mark.django_db

PAGE = "/agents/refund-bot/evidence/"
IMPORT = "/agents/refund-bot/evidence/import/"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
ROW_LINK = re.compile(r'<a href="/evidence/(\d+)/">#')


def wire(days_old: float = 3, **overrides: Any) -> dict[str, Any]:
    """One wire-format record whose period ended ``days_old`` days ago."""
    return wire_record(age=timedelta(days=days_old), **overrides)


def submit(agent, user, *items: dict[str, Any]) -> list[EvidenceRecord]:
    """Submit through the service and return the stored rows, in order."""
    ids = [stored.id for stored in services.evidence_submit(agent=agent, items=list(items), user=user)]
    by_id = EvidenceRecord.objects.in_bulk(ids)
    return [by_id[i] for i in ids]


def row_ids(response) -> list[int]:
    return [int(i) for i in ROW_LINK.findall(response.content.decode())]


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def mixed(agent, vendor) -> dict[str, EvidenceRecord]:
    """Three public records (5, 1 and 3 days old) and one restricted record."""
    old, new, middle = submit(agent, vendor, wire(5), wire(1, metric="latency_ms"), wire(3, kind="eval_run"))
    [restricted] = submit(agent, vendor, wire(2, visibility="restricted", metric="refund_errors"))
    return {"old": old, "new": new, "middle": middle, "restricted": restricted}


def public_order(mixed: dict[str, EvidenceRecord]) -> list[int]:
    return [mixed["new"].pk, mixed["middle"].pk, mixed["old"].pk]


# --- the agent's evidence page -------------------------------------------------------------------------------


def test_vendor_page_lists_records_with_freshness(client: Client, agent, vendor) -> None:
    [three] = submit(agent, vendor, wire(3))
    [hours] = submit(agent, vendor, wire(5 / 24, metric="latency_ms", successes=None, trials=None, values=[812.0]))
    client.force_login(vendor)
    response = client.get(PAGE)
    assert response.status_code == 200
    page = html(response)
    assert "Evidence for Refund Bot" in page
    assert row_ids(response) == [hours.pk, three.pk]
    assert "3 days old" in page
    assert "5 hours old" in page
    assert "57/60 (95.0%)" in page
    assert "mean 812 of 1" in page
    assert "prod-telemetry 1.4" in page
    assert "Import a result file" in page  # the vendor's tools
    assert "Access to restricted evidence" in page


def test_one_day_old_is_singular(client: Client, agent, vendor) -> None:
    submit(agent, vendor, wire(1.1))
    assert "1 day old" in html(client.get(PAGE))


def test_filters_by_kind_and_metric(client: Client, agent, vendor) -> None:
    [telemetry] = submit(agent, vendor, wire(3))
    [eval_run] = submit(agent, vendor, wire(2, kind="eval_run"))
    [latency] = submit(agent, vendor, wire(1, metric="latency_ms"))
    client.force_login(vendor)
    assert row_ids(client.get(PAGE, {"kind": "eval_run"})) == [eval_run.pk]
    assert row_ids(client.get(PAGE, {"kind": "telemetry"})) == [latency.pk, telemetry.pk]
    assert row_ids(client.get(PAGE, {"metric": "latency_ms"})) == [latency.pk]
    assert row_ids(client.get(PAGE, {"metric": "task_success", "kind": "telemetry"})) == [telemetry.pk]
    assert row_ids(client.get(PAGE, {"metric": "nothing"})) == []
    assert "No evidence matches." in html(client.get(PAGE, {"metric": "nothing"}))
    # the metric menu offers what exists, with the chosen one selected
    page = html(client.get(PAGE, {"metric": "latency_ms"}))
    assert '<option value="latency_ms" selected>latency_ms</option>' in page
    assert '<option value="task_success">task_success</option>' in page


def test_filters_by_source_and_observation_dates(client: Client, agent, vendor) -> None:
    [ci] = submit(agent, vendor, wire(10, source={"tool": "ci"}))
    [prod] = submit(agent, vendor, wire(1))
    assert row_ids(client.get(PAGE, {"source": "ci"})) == [ci.pk]
    after = (timezone.now() - timedelta(days=5)).date().isoformat()
    assert row_ids(client.get(PAGE, {"observed_after": after})) == [prod.pk]
    before = (timezone.now() - timedelta(days=5)).date().isoformat()
    assert row_ids(client.get(PAGE, {"observed_before": before})) == [ci.pk]


def test_an_invalid_filter_is_400(client: Client, agent, vendor) -> None:
    submit(agent, vendor, wire(3))
    response = client.get(PAGE, {"kind": "nonsense"})
    assert response.status_code == 400
    assert len(row_ids(response)) == 1  # the filter is ignored, the list is still shown


def test_htmx_request_returns_only_the_records_fragment(client: Client, agent, vendor) -> None:
    [record] = submit(agent, vendor, wire(3))
    client.force_login(vendor)
    response = client.get(PAGE, {"kind": "telemetry"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = html(response).strip()
    assert fragment.startswith('<div id="records"')
    assert fragment.endswith("</div>")
    assert "<html" not in fragment and "<form" not in fragment
    assert "Import a result file" not in fragment
    assert row_ids(response) == [record.pk]
    assert "3 days old" in fragment


def test_boosted_htmx_request_gets_the_whole_page(client: Client, agent) -> None:
    response = client.get(PAGE, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")
    assert "<html" in html(response)


def test_unknown_agent_is_404(client: Client, db) -> None:
    assert client.get("/agents/no-such-bot/evidence/").status_code == 404


def test_list_is_paginated(client: Client, agent, vendor) -> None:
    submit(agent, vendor, *[wire(3 + i / 100) for i in range(30)])
    first = client.get(PAGE)
    assert len(row_ids(first)) == 25
    assert "Page 1 of 2 · 30 in all" in html(first)
    assert len(row_ids(client.get(PAGE, {"page": 2}))) == 5


# --- who sees what ------------------------------------------------------------------------------------------


def test_buyer_sees_public_records_newest_first_but_no_restricted_one(client: Client, mixed, buyer, media) -> None:
    client.force_login(buyer)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert row_ids(response) == public_order(mixed)
    page = html(response)
    assert "refund_errors" not in page  # not even in the metric menu
    assert "restricted" not in page
    assert "Import a result file" not in page
    restricted = mixed["restricted"]
    assert client.get(f"/evidence/{restricted.pk}/").status_code == 404
    assert client.get(f"/evidence/{restricted.pk}/attachment/").status_code == 404
    assert row_ids(client.get(PAGE, {"metric": "refund_errors"})) == []
    assert client.get(f"/evidence/{mixed['new'].pk}/").status_code == 200


def test_buyer_with_an_access_grant_sees_restricted_records_until_it_expires(
    client: Client, agent, vendor, buyer, mixed
) -> None:
    restricted = mixed["restricted"]
    grant = services.access_grant_create(
        agent=agent, organization=buyer.organization, user=vendor, expires_at=timezone.now() + timedelta(days=7)
    )
    client.force_login(buyer)
    response = client.get(PAGE)
    assert row_ids(response) == [mixed["new"].pk, restricted.pk, mixed["middle"].pk, mixed["old"].pk]
    assert "refund_errors" in html(response)
    assert client.get(f"/evidence/{restricted.pk}/").status_code == 200

    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert row_ids(client.get(PAGE)) == public_order(mixed)
    assert client.get(f"/evidence/{restricted.pk}/").status_code == 404


def test_revoked_grant_hides_restricted_records_again(client: Client, agent, vendor, buyer, mixed) -> None:
    grant = services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)
    client.force_login(buyer)
    assert mixed["restricted"].pk in row_ids(client.get(PAGE))
    services.access_grant_revoke(grant=grant, user=vendor)
    assert mixed["restricted"].pk not in row_ids(client.get(PAGE))


def test_grant_for_another_agent_does_not_open_this_one(client: Client, agent, vendor, buyer, mixed) -> None:
    other = pact_services.agent_create(user=vendor, name="Claims Bot", slug="claims-bot", consequence_level="low")
    services.access_grant_create(agent=other, organization=buyer.organization, user=vendor)
    client.force_login(buyer)
    assert row_ids(client.get(PAGE)) == public_order(mixed)


def test_anonymous_sees_public_records_only(client: Client, mixed) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200
    assert row_ids(response) == public_order(mixed)
    assert "Import a result file" not in html(response)
    assert client.get(f"/evidence/{mixed['restricted'].pk}/").status_code == 404
    assert client.get(f"/evidence/{mixed['old'].pk}/").status_code == 200


def test_other_vendor_sees_public_records_only(client: Client, mixed, vendor_b) -> None:
    client.force_login(vendor_b)
    response = client.get(PAGE)
    assert row_ids(response) == public_order(mixed)
    assert "Import a result file" not in html(response)
    assert client.get(f"/evidence/{mixed['restricted'].pk}/").status_code == 404


@pytest.mark.parametrize("who", ["vendor", "staff"])
def test_vendor_and_staff_see_restricted_records(client: Client, mixed, request, who) -> None:
    expected = [mixed["new"].pk, mixed["restricted"].pk, mixed["middle"].pk, mixed["old"].pk]
    client.force_login(request.getfixturevalue(who))
    response = client.get(PAGE)
    assert row_ids(response) == expected
    assert '<span class="chip chip-warn">restricted</span>' in html(response)
    assert client.get(f"/evidence/{mixed['restricted'].pk}/").status_code == 200


# --- importing through the page ---------------------------------------------------------------------------------


def promptfoo_upload(data: bytes | None = None, name: str = "results.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PROMPTFOO_JSON.read_bytes() if data is None else data)


def import_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {"file": promptfoo_upload(), "format": "promptfoo", "metric": "", "visibility": "public"}
    form.update(overrides)
    return form


def test_import_promptfoo_results_through_the_page(client: Client, agent, vendor) -> None:
    client.force_login(vendor)
    response = client.post(IMPORT, import_form())
    assert response.status_code == 302
    assert response["Location"] == PAGE
    imported = EvidenceImport.objects.get()
    assert (imported.tool, imported.tool_version, imported.record_count) == ("promptfoo", "0.121.20", 2)
    assert imported.filename == "results.json"
    assert imported.submitted_by == vendor
    records = {r.metric: r for r in EvidenceRecord.objects.filter(agent=agent)}
    assert (records["assertion_pass"].successes, records["assertion_pass"].trials) == (7, 10)
    assert records["latency_ms"].sample_count == 10

    page = html(client.get(PAGE))
    assert "Imported 2 record(s) from promptfoo 0.121.20" in page
    assert "7/10 (70.0%)" in page

    again = client.post(IMPORT, import_form())
    assert again.status_code == 302
    assert EvidenceRecord.objects.count() == 2
    assert "nothing new was stored" in html(client.get(PAGE))


def test_import_with_metric_and_visibility(client: Client, agent, vendor) -> None:
    client.force_login(vendor)
    client.post(IMPORT, import_form(metric="refund_pass", visibility="restricted"))
    assert set(EvidenceRecord.objects.values_list("metric", flat=True)) == {"refund_pass", "latency_ms"}
    assert set(EvidenceRecord.objects.values_list("visibility", flat=True)) == {"restricted"}


def test_import_with_htmx_returns_the_import_panel(client: Client, agent, vendor) -> None:
    client.force_login(vendor)
    response = client.post(IMPORT, import_form(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = html(response).strip()
    assert fragment.startswith('<div id="import-panel"')
    assert "<html" not in fragment
    assert 'data-testid="import-result"' in fragment
    assert "promptfoo 0.121.20: 2 record(s) from <code>results.json</code>" in fragment
    assert "task Refund policy assistant (importer fixture)" in fragment
    assert EvidenceImport.objects.get().file_sha256[:12] in fragment
    assert EvidenceRecord.objects.count() == 2


def test_htmx_reimport_says_nothing_new_was_stored(client: Client, agent, vendor) -> None:
    client.force_login(vendor)
    first = client.post(IMPORT, import_form(), HTTP_HX_REQUEST="true")
    assert "nothing new" not in html(first)
    again = client.post(IMPORT, import_form(), HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    assert EvidenceRecord.objects.count() == 2
    assert "nothing new" in html(again)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_invalid_file_shows_the_error_on_the_form_and_stores_nothing(client: Client, agent, vendor, htmx) -> None:
    client.force_login(vendor)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(IMPORT, import_form(file=promptfoo_upload(b'{"evalId": "x"}')), **headers)
    assert response.status_code == 400
    page = html(response)
    assert "Not a promptfoo results file: no results.results list." in page
    assert 'id="id_file_error"' in page  # on the file field
    assert ("<html" in page) is not htmx
    assert EvidenceImport.objects.count() == 0
    assert EvidenceRecord.objects.count() == 0


def test_invalid_jsonl_is_refused_on_the_form(client: Client, agent, vendor) -> None:
    client.force_login(vendor)
    data = json.dumps(wire(3)).encode() + b"\n{broken\n"
    response = client.post(IMPORT, import_form(file=promptfoo_upload(data, "records.jsonl"), format="jsonl"))
    assert response.status_code == 400
    assert "Invalid JSON" in html(response)
    assert EvidenceImport.objects.count() == 0
    assert EvidenceRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("jsonl", json.dumps(wire(3)).encode() + b"\n{broken\n"),
        (
            "csv",
            b"metric,value,observed_from,observed_to\nuptime,1,2026-11-20T00:00:00Z,2026-11-21T00:00:00Z\n"
            b"uptime,abc,2026-11-20T00:00:00Z,2026-11-21T00:00:00Z\n",
        ),
    ],
    ids=["jsonl", "csv"],
)
def test_the_form_names_the_bad_line_of_the_file(client: Client, agent, vendor, fmt, data) -> None:
    client.force_login(vendor)
    response = client.post(IMPORT, import_form(file=promptfoo_upload(data, f"records.{fmt}"), format=fmt))
    assert response.status_code == 400
    error = re.search(r'<ul class="errorlist" id="id_file_error">(.*?)</ul>', html(response), re.S).group(1)
    assert re.search(r"\bline 3\b" if fmt == "csv" else r"\bline 2\b", error), error


def test_import_form_without_a_file_or_with_a_bad_format_is_400(client: Client, agent, vendor) -> None:
    client.force_login(vendor)
    no_file = client.post(IMPORT, {"format": "promptfoo", "visibility": "public"})
    assert no_file.status_code == 400
    assert "This field is required." in html(no_file)
    bad_format = client.post(IMPORT, import_form(format="nope"))
    assert bad_format.status_code == 400
    assert "Select a valid choice." in html(bad_format)
    assert EvidenceImport.objects.count() == 0


def test_importing_needs_sign_in(client: Client, agent) -> None:
    anonymous = client.post(IMPORT, import_form())
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert EvidenceImport.objects.count() == 0


@pytest.mark.parametrize("who", ["buyer", "vendor_b"])
def test_only_the_vendor_imports(client: Client, agent, request, who) -> None:
    client.force_login(request.getfixturevalue(who))
    # The agent is public; its evidence is not theirs to write.
    assert client.post(IMPORT, import_form()).status_code == 403
    assert EvidenceImport.objects.count() == 0


@pytest.mark.parametrize("who", ["buyer", "vendor_b"])
@pytest.mark.parametrize("path", [IMPORT, "/agents/refund-bot/grants/"], ids=["import", "grant"])
def test_outsiders_are_refused_403_on_writes_to_an_agent_they_can_see(
    client: Client, published_pact, request, who, path
) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.post(path, {"confirm": "on"}).status_code == 403


def test_import_page_is_post_only(client: Client, agent, vendor) -> None:
    client.force_login(vendor)
    assert client.get(IMPORT).status_code == 405


# --- the record page and its attachment -----------------------------------------------------------------------


def test_record_detail_shows_the_hash_and_the_measured_value(client: Client, agent, vendor) -> None:
    measurement = {"task": "refunds", "task_version": "2", "dataset_hash": "ab" * 32, "scorer": "exact"}
    [record] = submit(agent, vendor, wire(3, successes=9, trials=12, measurement=measurement, payload={"run": 7}))
    response = client.get(f"/evidence/{record.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert f"Evidence #{record.pk}" in page
    assert record.canonical_hash in page
    assert "9/12 (75.0%)" in page
    assert "3 days old" in page
    assert "task refunds v2, scorer exact" in page
    assert "abababababab…" in page
    assert "&quot;run&quot;: 7" in page or '"run": 7' in page


def test_record_detail_of_a_single_value_and_of_values(client: Client, agent, vendor) -> None:
    [single, several] = submit(
        agent,
        vendor,
        wire(3, successes=None, trials=None, metric="uptime", value=0.999),
        wire(3, successes=None, trials=None, metric="latency_ms", values=[100.0, 300.0]),
    )
    assert "<dd>0.999</dd>" in html(client.get(f"/evidence/{single.pk}/"))
    page = html(client.get(f"/evidence/{several.pk}/"))
    assert "mean 200 of 2" in page
    assert "100.0, 300.0" in page


def test_record_detail_of_an_imported_record_names_the_file(client: Client, agent, vendor) -> None:
    imported, _ = services.evidence_import(
        agent=agent, data=PROMPTFOO_JSON.read_bytes(), fmt="promptfoo", user=vendor, filename="results.json"
    )
    record = imported.records.get(metric="assertion_pass")
    page = html(client.get(f"/evidence/{record.pk}/"))
    assert "results.json (promptfoo 0.121.20, sha256" in page
    assert imported.file_sha256[:12] in page


def test_record_detail_links_its_inclusion_proof(client: Client, agent, vendor) -> None:
    [record] = submit(agent, vendor, wire(3))
    tlog.checkpoint_sign()
    page = html(client.get(f"/evidence/{record.pk}/"))
    assert "inclusion proof" in page
    assert f'href="/evidence/{record.pk}/proof/"' in page


def test_agent_evidence_page_offers_the_bundle(client: Client, agent, vendor) -> None:
    submit(agent, vendor, wire(3))
    assert "Download evidence bundle" in html(client.get(PAGE))


def test_unknown_record_is_404(client: Client, db) -> None:
    assert client.get("/evidence/999999/").status_code == 404


def png_attachment() -> dict[str, str]:
    return {"filename": "chart.png", "content_type": "image/png", "data_base64": base64.b64encode(PNG).decode()}


def test_attachment_downloads_with_its_content_type(client: Client, agent, vendor, media) -> None:
    [record] = submit(agent, vendor, wire(3, attachment=png_attachment()))
    client.force_login(vendor)
    detail = html(client.get(f"/evidence/{record.pk}/"))
    assert f'href="/evidence/{record.pk}/attachment/"' in detail
    assert "image/png" in detail
    response = client.get(f"/evidence/{record.pk}/attachment/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="chart.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


def test_restricted_attachment_is_404_for_an_unauthorised_buyer(client: Client, agent, vendor, buyer, media) -> None:
    [record] = submit(agent, vendor, wire(3, visibility="restricted", attachment=png_attachment()))
    client.force_login(buyer)
    assert client.get(f"/evidence/{record.pk}/attachment/").status_code == 404
    assert client.get(f"/evidence/{record.pk}/").status_code == 404
    services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)
    response = client.get(f"/evidence/{record.pk}/attachment/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG


def test_public_attachment_downloads_for_anyone(client: Client, agent, vendor, media) -> None:
    [record] = submit(agent, vendor, wire(3, attachment=png_attachment()))
    response = client.get(f"/evidence/{record.pk}/attachment/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_record_without_attachment_has_no_download(client: Client, agent, vendor) -> None:
    [record] = submit(agent, vendor, wire(3))
    assert client.get(f"/evidence/{record.pk}/attachment/").status_code == 404


# --- the vendor's workbench ---------------------------------------------------------------------------------


def test_workbench_lists_the_vendors_agents_with_record_counts(client: Client, agent, vendor, vendor_b) -> None:
    pact_services.agent_create(user=vendor, name="Claims Bot", slug="claims-bot", consequence_level="low")
    pact_services.agent_create(user=vendor_b, name="Helix Helper", slug="helix-helper", consequence_level="low")
    submit(agent, vendor, wire(3), wire(4), wire(2, visibility="restricted"))
    client.force_login(vendor)
    response = client.get("/evidence/")
    assert response.status_code == 200
    page = html(response)
    assert '<a href="/agents/refund-bot/evidence/">Refund Bot</a></td><td>3</td><td>1</td>' in page
    assert '<a href="/agents/claims-bot/evidence/">Claims Bot</a></td><td>0</td><td>0</td>' in page
    assert "2 days old" in page  # the freshest record of Refund Bot
    assert "none yet" in page
    assert "Helix Helper" not in page
    assert 'data-testid="issued-token"' not in page


def test_workbench_creates_an_agent_scoped_token_shown_once(client: Client, agent, vendor) -> None:
    other = pact_services.agent_create(user=vendor, name="Claims Bot", slug="claims-bot", consequence_level="low")
    client.force_login(vendor)
    response = client.post("/evidence/", {"name": "refund-bot CI", "agents": [str(agent.pk)]})
    assert response.status_code == 200
    page = html(response)
    assert 'data-testid="issued-token"' in page
    plaintext = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    token = ApiToken.objects.get(digest=token_digest(plaintext))
    assert token.name == "refund-bot CI"
    assert token.user == vendor
    assert list(TokenAgentScope.objects.filter(token=token).values_list("agent_id", flat=True)) == [agent.pk]
    assert plaintext not in html(client.get("/evidence/"))  # shown once

    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    ok = api.post("/api/v1/agents/refund-bot/evidence/", json.dumps(wire(1)), content_type="application/json")
    assert ok.status_code == 201, ok.content
    refused = api.post(f"/api/v1/agents/{other.slug}/evidence/", json.dumps(wire(1)), content_type="application/json")
    assert refused.status_code == 403


def test_workbench_token_needs_a_name_and_an_agent_of_the_vendor(client: Client, agent, vendor, vendor_b) -> None:
    foreign = pact_services.agent_create(
        user=vendor_b, name="Helix Helper", slug="helix-helper", consequence_level="low"
    )
    client.force_login(vendor)
    no_agent = client.post("/evidence/", {"name": "ci"})
    assert no_agent.status_code == 400
    assert "This field is required." in html(no_agent)
    other_vendors_agent = client.post("/evidence/", {"name": "ci", "agents": [str(foreign.pk)]})
    assert other_vendors_agent.status_code == 400
    assert 'data-testid="issued-token"' not in html(other_vendors_agent)
    assert TokenAgentScope.objects.count() == 0
    assert not ApiToken.objects.filter(name="ci").exists()


def test_workbench_needs_sign_in(client: Client, db) -> None:
    anonymous = client.get("/evidence/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.parametrize("who", ["buyer", "outsider"])
def test_workbench_is_for_vendors_only(client: Client, request, who) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get("/evidence/").status_code == 403


# --- signing keys ------------------------------------------------------------------------------------------


def test_register_and_revoke_keys_in_the_browser_views(client: Client, vendor, buyer, private_key) -> None:
    key_id = dsse.key_id(private_key.public_key())
    client.force_login(vendor)
    client.post("/evidence/signing-keys/", key_registration(vendor, private_key, name="pipeline"))
    page = client.get("/evidence/").content.decode()
    assert "pipeline" in page and key_id in page
    client.post("/evidence/signing-keys/", {**key_registration(vendor, private_key), "public_pem": "garbage"})

    client.post(f"/evidence/signing-keys/{key_id}/revoke/")
    assert "revoked" in client.get("/evidence/").content.decode()
    client.force_login(buyer)
    assert client.post(f"/evidence/signing-keys/{key_id}/revoke/").status_code == 404


def test_the_keys_page_shows_a_challenge_and_how_to_sign_it(client: Client, vendor) -> None:
    client.force_login(vendor)
    page = client.get("/evidence/").content.decode()
    text = page.split('data-testid="key-challenge">', 1)[1].split("<", 1)[0]
    assert text.startswith(keyproof.PREFIX)
    assert f'name="challenge" value="{text}"' in page and 'name="signature"' in page
    assert "openssl pkeyutl -sign -rawin -inkey signing-key.pem -in challenge.txt" in page


def test_a_page_registration_with_a_wrong_signature_says_why_and_registers_nothing(
    client: Client, vendor, private_key
) -> None:
    client.force_login(vendor)
    body = {**key_registration(vendor, private_key), "signature": keyproof.sign("something else", private_key)}
    page = client.post("/evidence/signing-keys/", body, follow=True).content.decode()
    assert "No key registered. The signature does not verify" in page
    assert not VendorKey.objects.exists()


def test_members_see_no_challenge(client: Client, vendor) -> None:
    colleague = MembershipFactory(organization=vendor.organization, role="member").user
    client.force_login(colleague)
    page = client.get("/evidence/").content.decode()
    assert 'data-testid="key-challenge"' not in page and "Owners of your organization register" in page


# --- query counts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["vendor", "buyer", "anonymous"])
def test_list_page_query_count_does_not_grow_with_records(client: Client, agent, vendor, request, who) -> None:
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    submit(agent, vendor, *[wire(3 + i / 100, visibility="restricted" if i % 3 == 0 else "public") for i in range(10)])
    client.get(PAGE)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(PAGE).status_code == 200
    submit(agent, vendor, *[wire(4 + i / 100, kind="eval_run", metric=f"m{i % 7}") for i in range(50)])
    with CaptureQueriesContext(connection) as sixty:
        response = client.get(PAGE)
    assert response.status_code == 200
    assert len(row_ids(response)) == 25
    assert len(sixty) == len(ten), [q["sql"] for q in sixty.captured_queries]


def test_a_refused_grant_form_says_what_was_wrong(client, agent, vendor, buyer) -> None:
    client.force_login(vendor)
    response = client.post(
        "/agents/refund-bot/grants/",
        {"organization": buyer.organization.pk, "note": "x" * 501, "expires_at": "not a date"},
        follow=True,
    )
    page = response.content.decode()
    assert "No access granted." in page and "Choose a buyer organization" not in page
