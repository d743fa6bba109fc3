"""Evidence ingestion over the API: single, batch, all-or-nothing, idempotency, validation, authorization."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from evidence import services
from evidence.models import EvidenceRecord, IdempotencyKey

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
    from pacts.services import agent_create

    other = agent_create(user=vendor, name="Other Bot", slug="other-bot")
    foreign = agent_create(user=vendor_b, name="Foreign Bot", slug="foreign-bot")
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


def test_restricted_records_are_invisible_without_a_grant(
    agent, vendor, buyer, vendor_b, bearer, wire, api_client
) -> None:
    client = bearer(vendor)
    public = post(client, wire()).json()
    secret = post(client, wire(visibility="restricted", successes=1)).json()
    assert {r["id"] for r in client.get(URL).json()["results"]} == {public["id"], secret["id"]}
    for outsider in (bearer(buyer), bearer(vendor_b), api_client):
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
