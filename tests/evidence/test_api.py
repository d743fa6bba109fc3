"""The evidence API (evidence.api.views): ingestion (single, batch, all-or-nothing, idempotency, validation,
signed envelopes), listing, grants, tool-file imports, and who may do what."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from evidence import services
from evidence.models import EvidenceImport, EvidenceRecord, IdempotencyKey
from pacts import services as pact_services
from tests.evidence.files import INSPECT_EVAL, INSPECT_JSON, PROMPTFOO_JSON, upload
from tests.factories import accuracy_record, envelope
from verdicts.models import Verdict

pytestmark = pytest.mark.django_db
URL = "/api/v1/agents/refund-bot/evidence/"


def post(client: APIClient, body, **headers):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_single_record_is_stored_and_returned(agent, vendor, bearer, wire) -> None:
    response = post(bearer(vendor), wire())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["successes"] == 57 and body["trials"] == 60 and body["sample_count"] == 60
    assert body["source"] == {"tool": "prod-telemetry", "version": "1.4"}
    assert len(body["canonical_hash"]) == 64
    assert EvidenceRecord.objects.get().canonical_hash == body["canonical_hash"]


def test_the_three_measurement_shapes(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    assert (
        post(client, wire(successes=None, trials=None, metric="latency_ms", values=[812.0, 1040.5, 390.2])).json()[
            "sample_count"
        ]
        == 3
    )
    assert (
        post(
            client,
            wire(successes=None, trials=None, kind="eval_run", metric="accuracy", value=0.91, payload={"run": 7}),
        ).json()["value"]
        == 0.91
    )


def test_batch_is_stored_in_order(agent, vendor, bearer, wire) -> None:
    response = post(bearer(vendor), [wire(successes=i) for i in range(5)])
    assert response.status_code == 201
    body = response.json()
    assert body["count"] == 5
    stored = EvidenceRecord.objects.order_by("id")
    assert [r.successes for r in stored] == [0, 1, 2, 3, 4]
    assert [r["id"] for r in body["records"]] == [r.pk for r in stored]


def test_batch_is_all_or_nothing(agent, vendor, bearer, wire) -> None:
    response = post(bearer(vendor), [wire(), wire(), wire(successes=99, trials=60), wire()])
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "2.successes", "message": "successes (99) cannot exceed trials (60).", "code": "invalid"}
    ]
    assert EvidenceRecord.objects.count() == 0


def test_every_failing_item_and_field_is_named(agent, vendor, bearer, wire) -> None:
    response = post(bearer(vendor), [wire(kind="rumour"), wire(), wire(metric="Bad Metric", trials=0)])
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"0.kind", "2.metric", "2.trials"}


NOW = timezone.now()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "gossip"}, "kind"),
        ({"metric": 42}, "metric"),
        ({"successes": "57"}, "successes"),
        ({"successes": 61}, "successes"),
        ({"successes": -1}, "successes"),
        ({"trials": -5, "successes": 0}, "trials"),
        ({"trials": 1.5}, "trials"),
        ({"successes": None, "trials": None, "value": "high"}, "value"),
        ({"successes": None, "trials": None, "values": []}, "values"),
        ({"successes": None, "trials": None, "values": [1, "x"]}, "values.1"),
        ({"successes": None, "trials": None}, "value"),
        ({"value": 3.0}, "value"),  # two measurement shapes at once
        ({"observed_to": (NOW + timedelta(days=2)).isoformat()}, "observed_to"),
        (
            {
                "observed_from": (NOW - timedelta(hours=1)).isoformat(),
                "observed_to": (NOW - timedelta(hours=3)).isoformat(),
            },
            "observed_to",
        ),
        ({"observed_from": "yesterday"}, "observed_from"),
        ({"observed_from": "2026-11-20T00:00:00"}, "observed_from"),  # no time zone
        ({"visibility": "secret"}, "visibility"),
        ({"source": "ci"}, "source"),
        ({"payload": [1, 2]}, "payload"),
        ({"measurement": {"dataset_hash": "abc"}}, "measurement.dataset_hash"),
        ({"colour": "blue"}, "colour"),
        ({"corrects": 999999}, "corrects"),
        ({"attachment": "file.pdf"}, "attachment"),
    ],
)
def test_validation_table(agent, vendor, bearer, wire, overrides, field) -> None:
    response = post(bearer(vendor), wire(**overrides))
    assert response.status_code == 400, response.json()
    assert field in {e["field"] for e in response.json()["errors"]}
    assert EvidenceRecord.objects.count() == 0


@pytest.mark.parametrize("text", ['{"kind": "telemetry",', '{"value": NaN}', '{"value": Infinity}', "[1, 2"])
def test_malformed_json_and_non_finite_numbers_are_400(agent, vendor, bearer, text) -> None:
    response = bearer(vendor).post(URL, data=text, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_overflowing_number_is_400(agent, vendor, bearer, wire) -> None:
    text = json.dumps(wire(successes=None, trials=None, value=1.0)).replace('"value": 1.0', '"value": 1e400')
    assert bearer(vendor).post(URL, data=text, content_type="application/json").status_code == 400


@pytest.mark.parametrize(
    "measurement",
    [
        {"value": 1e20},
        {"value": -1e16},
        {"value": 10**20},
        {"values": [0.5, 1e300]},
        {"successes": 1, "trials": 10**13},
    ],
    ids=["huge-float", "huge-negative", "huge-integer", "huge-in-values", "too-many-trials"],
)
def test_a_measurement_beyond_the_documented_range_is_400_naming_the_field(
    agent, vendor, bearer, wire, measurement
) -> None:
    record = {**wire(successes=None, trials=None), **measurement}
    response = post(bearer(vendor), record)
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields & {"value", "values.1", "trials"}
    assert EvidenceRecord.objects.count() == 0


def test_a_refused_huge_value_leaves_later_ingest_of_the_metric_working(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    assert post(client, {**wire(successes=None, trials=None), "value": 1e20}).status_code == 400
    assert post(client, {**wire(successes=None, trials=None), "value": 1e15}).status_code == 201  # the bound itself
    assert post(client, {**wire(successes=None, trials=None), "value": 0.5}).status_code == 201


def test_oversized_batch_is_413(agent, vendor, bearer, wire, settings) -> None:
    settings.EVIDENCE_BATCH_LIMIT = 3
    response = post(bearer(vendor), [wire()] * 4)
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"


def test_oversized_body_is_413(agent, vendor, bearer, wire, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = post(bearer(vendor), [wire()] * 20)
    assert response.status_code == 413


def _attachment(data: bytes, content_type: str) -> dict:
    return {"filename": "report", "content_type": content_type, "data_base64": base64.b64encode(data).decode()}


def test_attachment_typed_by_its_bytes(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    ok = post(client, wire(attachment=_attachment(b"%PDF-1.7\n...", "application/pdf")))
    assert ok.status_code == 201
    assert ok.json()["attachment"]["content_type"] == "application/pdf"
    lie = post(client, wire(attachment=_attachment(b"MZ\x90\x00 an exe", "application/pdf")))
    assert lie.status_code == 400
    assert lie.json()["errors"][0]["code"] == "content_mismatch"
    png_as_pdf = post(client, wire(attachment=_attachment(b"\x89PNG\r\n\x1a\n0000", "application/pdf")))
    assert png_as_pdf.status_code == 400


def test_oversized_attachment_is_413(agent, vendor, bearer, wire, settings) -> None:
    settings.EVIDENCE_ATTACHMENT_MAX_BYTES = 1024
    response = post(bearer(vendor), wire(attachment=_attachment(b"%PDF-" + b"x" * 2000, "application/pdf")))
    assert response.status_code == 413
    assert response.json()["code"] == "attachment_too_large"
    assert EvidenceRecord.objects.count() == 0


def test_correction_references_the_record_and_its_hash(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    first = post(client, wire()).json()
    correction = post(client, wire(successes=50, corrects=first["id"]))
    assert correction.status_code == 201
    assert correction.json()["corrects"] == first["id"]
    assert EvidenceRecord.objects.get(pk=correction.json()["id"]).corrects_id == first["id"]


def test_a_public_record_cannot_correct_a_restricted_one(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    hidden = client.post(URL, data=json.dumps(wire(visibility="restricted")), content_type="application/json").json()
    response = client.post(URL, data=json.dumps(wire(corrects=hidden["id"])), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "corrects"
    restricted_fix = client.post(
        URL, data=json.dumps(wire(corrects=hidden["id"], visibility="restricted")), content_type="application/json"
    )
    assert restricted_fix.status_code == 201


def test_unhashable_corrects_in_a_batch_is_400(agent, vendor, bearer, wire) -> None:
    body = [wire(corrects=999999), wire(corrects=[1]), wire(corrects={"a": 1})]
    response = bearer(vendor).post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert {"0.corrects", "1.corrects", "2.corrects"} <= {e["field"] for e in response.json()["errors"]}


# --- signed evidence ---------------------------------------------------------------------------------------


def test_signed_record_is_accepted_and_counts(
    signing_pact, agent, vendor, bearer, wire, private_key, registered, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(bearer(vendor), envelope(accuracy_record(), private_key))
    assert response.status_code == 201, response.json()
    record = EvidenceRecord.objects.get(pk=response.json()["id"])
    assert record.signed_by.key_id == registered["key_id"]
    leaf = json.loads(record.canonical)
    assert leaf["signed"]["keyid"] == registered["key_id"]
    assert Verdict.objects.get(clause_id="policy-accuracy", is_current=True).used_records == 1


def test_unsigned_evidence_for_a_signed_only_clause_is_refused(signing_pact, agent, vendor, bearer, wire) -> None:
    response = post(bearer(vendor), accuracy_record())
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("envelope", "signature_required")
    assert "policy-accuracy requires signed evidence" in error["message"]
    assert post(bearer(vendor), wire()).status_code == 201  # other metrics need no signature


@pytest.mark.parametrize("case", ["tampered-payload", "other-type", "unknown-key", "revoked-key"])
def test_wrongly_signed_evidence_is_refused(signing_pact, agent, vendor, bearer, private_key, registered, case) -> None:
    body = envelope(accuracy_record(), private_key)
    if case == "tampered-payload":
        forged = json.dumps(accuracy_record(value=0.99)).encode()
        body["envelope"]["payload"] = base64.b64encode(forged).decode()
    elif case == "other-type":
        body["envelope"]["payloadType"] = "text/plain"
    elif case == "unknown-key":
        body = envelope(accuracy_record(), Ed25519PrivateKey.generate())
    else:
        bearer(vendor).delete(f"/api/v1/signing-keys/{registered['key_id']}/")
    response = post(bearer(vendor), body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "envelope"
    assert EvidenceRecord.objects.count() == 0


# --- idempotency -------------------------------------------------------------------------------


def test_replay_gives_the_same_response_and_no_new_records(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    body = [wire(), wire(successes=3)]
    first = post(client, body, HTTP_IDEMPOTENCY_KEY="batch-42")
    second = post(client, body, HTTP_IDEMPOTENCY_KEY="batch-42")
    assert (first.status_code, first.json()) == (second.status_code, second.json())
    assert second["Idempotent-Replayed"] == "true"
    assert EvidenceRecord.objects.count() == 2


def test_same_key_other_body_is_422(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    post(client, wire(), HTTP_IDEMPOTENCY_KEY="k1")
    response = post(client, wire(successes=1), HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert EvidenceRecord.objects.count() == 1


def test_same_key_while_in_flight_is_409(agent, vendor, bearer, wire) -> None:
    from evidence.idempotency import fingerprint

    body = json.dumps(wire()).encode()
    IdempotencyKey.objects.create(
        scope=f"org:{vendor.organization.pk}", key="busy", fingerprint=fingerprint("POST", URL, body)
    )
    response = bearer(vendor).post(URL, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_flight"


def test_failed_request_releases_its_key(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    assert post(client, wire(kind="bad"), HTTP_IDEMPOTENCY_KEY="k2").status_code == 400
    assert not IdempotencyKey.objects.filter(key="k2").exists()
    assert post(client, wire(), HTTP_IDEMPOTENCY_KEY="k2").status_code == 201


def test_keys_are_purged_after_their_retention(agent, vendor, bearer, wire) -> None:
    from evidence.tasks import purge_idempotency_keys

    post(bearer(vendor), wire(), HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=49))
    post(bearer(vendor), wire(successes=2), HTTP_IDEMPOTENCY_KEY="new")
    assert purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_have_exactly_one_effect(postgres, agent, vendor, wire) -> None:
    from accounts.services import api_token_create

    token = api_token_create(user=vendor, name="race").plaintext
    body = json.dumps([wire(successes=i) for i in range(50)])
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def hit() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        barrier.wait()
        statuses.append(
            client.post(URL, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="race-1").status_code
        )
        connection.close()

    threads = [threading.Thread(target=hit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert EvidenceRecord.objects.count() == 50
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}


# --- authorization -------------------------------------------------------------------------------


def test_other_vendor_cannot_submit(agent, vendor_b, bearer, wire) -> None:
    assert post(bearer(vendor_b), wire()).status_code == 403
    assert EvidenceRecord.objects.count() == 0


def test_buyer_cannot_submit(agent, buyer, bearer, wire) -> None:
    refused = post(bearer(buyer), wire())
    assert refused.status_code == 403
    assert "vendor organization" in refused.json()["detail"]


def test_anonymous_cannot_submit(agent, api_client, wire) -> None:
    assert post(api_client, wire()).status_code == 401


def test_read_only_token_cannot_submit(agent, vendor, bearer, wire) -> None:
    assert post(bearer(vendor, read_only=True), wire()).status_code == 403


def test_scoped_token_works_for_its_agent_only(agent, vendor, vendor_b, wire) -> None:
    other = pact_services.agent_create(user=vendor, name="Other Bot", slug="other-bot")
    foreign = pact_services.agent_create(user=vendor_b, name="Foreign Bot", slug="foreign-bot")
    issued = services.ingest_token_create(user=vendor, name="ci", agents=[agent])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert post(client, wire()).status_code == 201
    elsewhere = client.post(
        "/api/v1/agents/other-bot/evidence/", data=json.dumps(wire()), content_type="application/json"
    )
    assert elsewhere.status_code == 403
    assert elsewhere.json()["code"] == "token_scope"
    assert (
        client.post(
            f"/api/v1/agents/{foreign.slug}/evidence/", data=json.dumps(wire()), content_type="application/json"
        ).status_code
        == 403
    )
    assert other.evidence.count() == 0


def test_ingest_token_over_the_api(agent, vendor, bearer) -> None:
    response = bearer(vendor).post("/api/v1/ingest-tokens/", {"name": "ci", "agents": ["refund-bot"]}, format="json")
    assert response.status_code == 201
    assert response.json()["agents"] == ["refund-bot"]
    assert response.json()["token"].startswith("tp_")


def test_the_vendor_lists_its_restricted_records(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    public = post(client, wire()).json()
    secret = post(client, wire(visibility="restricted", successes=1)).json()
    assert {r["id"] for r in client.get(URL).json()["results"]} == {public["id"], secret["id"]}
    assert client.get(f"/api/v1/evidence/{secret['id']}/").status_code == 200


@pytest.mark.parametrize("who", ["buyer", "vendor_b", "anonymous"])
def test_restricted_records_are_invisible_without_a_grant(
    agent, vendor, bearer, wire, api_client, request, who
) -> None:
    client = bearer(vendor)
    public = post(client, wire()).json()
    secret = post(client, wire(visibility="restricted", successes=1)).json()
    outsider = api_client if who == "anonymous" else bearer(request.getfixturevalue(who))
    listed = outsider.get(URL).json()["results"]
    assert [r["id"] for r in listed] == [public["id"]]
    assert outsider.get(f"/api/v1/evidence/{secret['id']}/").status_code == 404
    assert outsider.get(f"{URL}?metric=task_success").json()["results"] == listed


def test_grant_shows_restricted_records_until_it_expires(agent, vendor, buyer, bearer, wire) -> None:
    secret = post(bearer(vendor), wire(visibility="restricted")).json()
    grant = bearer(vendor).post("/api/v1/agents/refund-bot/grants/", {"organization": "northwind-bank"}, format="json")
    assert grant.status_code == 201
    reader = bearer(buyer)
    assert reader.get(f"/api/v1/evidence/{secret['id']}/").status_code == 200
    from evidence.models import AccessGrant

    AccessGrant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert reader.get(f"/api/v1/evidence/{secret['id']}/").status_code == 404
    assert reader.get(URL).json()["results"] == []


def test_grant_can_be_revoked(agent, vendor, buyer, bearer, wire) -> None:
    secret = post(bearer(vendor), wire(visibility="restricted")).json()
    grant = (
        bearer(vendor)
        .post("/api/v1/agents/refund-bot/grants/", {"organization": "northwind-bank"}, format="json")
        .json()
    )
    assert (
        bearer(buyer).delete(f"/api/v1/grants/{grant['id']}/").status_code == 403
    )  # the grantee sees it, the vendor revokes
    assert bearer(vendor).delete(f"/api/v1/grants/{grant['id']}/").json()["is_active"] is False
    assert bearer(buyer).get(f"/api/v1/evidence/{secret['id']}/").status_code == 404


def test_list_filters(agent, vendor, bearer, wire) -> None:
    client = bearer(vendor)
    post(client, wire())
    post(
        client,
        wire(kind="eval_run", metric="accuracy", successes=None, trials=None, value=0.9, source={"tool": "inspect_ai"}),
    )
    assert len(client.get(f"{URL}?kind=eval_run").json()["results"]) == 1
    assert len(client.get(f"{URL}?source=prod-telemetry").json()["results"]) == 1
    assert client.get(f"{URL}?observed_after=nonsense").status_code == 400


@pytest.mark.parametrize(
    ("path", "body", "encoding"),
    [
        ("/api/v1/agents/refund-bot/grants/", {"organization": "nope"}, "json"),
        ("/api/v1/agents/refund-bot/evidence/import/?format=inspect", {}, "multipart"),
    ],
    ids=["grant", "import"],
)
def test_outsiders_are_refused_before_validation_on_writes(
    published_pact, agent, vendor_b, bearer, path: str, body: dict, encoding: str
) -> None:
    response = bearer(vendor_b).post(path, body, format=encoding)
    assert response.status_code == 403


# --- importing a tool's result file --------------------------------------------------------------------------------------------
#
# ``?format=`` is also Django REST framework's URL_FORMAT_OVERRIDE; the import view's content negotiation
# ignores it (``test_api_format_parameter_reaches_the_importer`` runs with the real settings).

IMPORT = "/api/v1/agents/refund-bot/evidence/import/"


@pytest.fixture
def no_drf_format_override(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "URL_FORMAT_OVERRIDE": None}


@pytest.mark.parametrize(
    ("query", "path", "status"),
    [
        ("format=inspect", INSPECT_JSON, 201),
        ("format=promptfoo", PROMPTFOO_JSON, 201),
        ("format=nope", INSPECT_JSON, 400),
        ("format=inspect", None, 400),
    ],
    ids=["inspect", "promptfoo", "unknown-format", "no-file"],
)
def test_api_format_parameter_reaches_the_importer(agent, vendor, bearer, query, path, status) -> None:
    data = {"file": upload(path)} if path else {}
    response = bearer(vendor).post(f"{IMPORT}?{query}", data, format="multipart")
    assert response.status_code == status, response.content


def test_api_format_json_passes_drf_negotiation_but_is_no_import_format(agent, vendor, bearer) -> None:
    """The one ?format= value DRF's URL_FORMAT_OVERRIDE lets through to the importer: it names no import format."""
    response = bearer(vendor).post(f"{IMPORT}?format=json", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_import"


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_imports_an_inspect_log_once(agent, vendor, bearer, inspect_log) -> None:
    client = bearer(vendor)
    response = client.post(f"{IMPORT}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert body["record_count"] == 1
    assert body["tool"] == "inspect_ai" and body["tool_version"] == "0.3.285"
    assert body["run_id"] == inspect_log["eval"]["eval_id"]
    assert body["filename"] == "refund_policy_eval.json"
    assert body["file_sha256"] == hashlib.sha256(INSPECT_JSON.read_bytes()).hexdigest()
    record = EvidenceRecord.objects.get()
    assert record.submitted_token == client.token.token
    assert record.evidence_import_id == body["id"]

    again = client.post(f"{IMPORT}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["id"] == body["id"]
    assert EvidenceRecord.objects.count() == 1


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_imports_an_eval_archive(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(f"{IMPORT}?format=inspect", {"file": upload(INSPECT_EVAL)}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["record_count"] == 1


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_imports_promptfoo_with_options(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(
        f"{IMPORT}?format=promptfoo&metric=refund_pass&visibility=restricted",
        {"file": upload(PROMPTFOO_JSON)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["record_count"] == 2
    assert response.json()["tool"] == "promptfoo"
    assert set(EvidenceRecord.objects.values_list("metric", flat=True)) == {"refund_pass", "latency_ms"}
    assert set(EvidenceRecord.objects.values_list("visibility", flat=True)) == {"restricted"}


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_without_a_file_is_a_problem_naming_file(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(f"{IMPORT}?format=inspect", {}, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400
    assert [e["field"] for e in body["errors"]] == ["file"]


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_with_an_unknown_format_is_400(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(f"{IMPORT}?format=nope", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid_import"
    assert "nope" in body["detail"]
    assert body["errors"][0]["field"] == "format"
    assert EvidenceImport.objects.count() == 0


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_of_a_broken_file_is_400_naming_the_problem(agent, vendor, bearer, eval_bytes) -> None:
    broken = upload(INSPECT_EVAL, eval_bytes[:1000])
    response = bearer(vendor).post(f"{IMPORT}?format=inspect", {"file": broken}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_import"
    assert "Not a readable .eval archive" in body["detail"]
    assert body["errors"][0]["field"] == "file"


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_with_a_bad_visibility_is_400(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(
        f"{IMPORT}?format=inspect&visibility=secret", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "visibility"


@pytest.mark.usefixtures("no_drf_format_override")
@pytest.mark.parametrize("who", ["buyer", "vendor_b"])
def test_api_import_by_others_is_403_with_the_reason(agent, request, who, bearer) -> None:
    response = bearer(request.getfixturevalue(who)).post(
        f"{IMPORT}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert "vendor organization" in response.json()["detail"]  # the permission's refusal, not DRF's
    assert EvidenceImport.objects.count() == 0


@pytest.mark.parametrize("who", ["buyer", "vendor_b"])
def test_api_import_by_others_is_403_with_default_settings(agent, request, who, bearer) -> None:
    response = bearer(request.getfixturevalue(who)).post(
        f"{IMPORT}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert response.status_code == 403
    assert EvidenceImport.objects.count() == 0


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_needs_authentication_and_a_writable_token(agent, vendor, bearer, api_client) -> None:
    anonymous = api_client.post(f"{IMPORT}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert anonymous.status_code == 401
    read_only = bearer(vendor, read_only=True).post(
        f"{IMPORT}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert read_only.status_code == 403
    assert EvidenceImport.objects.count() == 0


@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_with_a_token_scoped_to_another_agent_is_403(agent, vendor) -> None:
    other = pact_services.agent_create(user=vendor, name="Claims Bot", slug="claims-bot", consequence_level="low")
    issued = services.ingest_token_create(user=vendor, name="claims CI", agents=[other])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    response = client.post(f"{IMPORT}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert response.status_code == 403
    assert response.json()["code"] == "token_scope"
    ok = client.post(
        "/api/v1/agents/claims-bot/evidence/import/?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert ok.status_code == 201
