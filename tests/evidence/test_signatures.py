"""Vendor-signed evidence: keys with revocation, DSSE envelopes verified before the payload is trusted,
clauses that accept signed evidence only, and signatures carried into bundles."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence.models import EvidenceRecord
from pacts.demo_documents import refunds_v2
from transparency import log as tlog
from trustcore import dsse
from trustcore.verify import BundleInvalid, verify_bundle
from verdicts.bundle import bundle_build

pytestmark = pytest.mark.django_db
URL = "/api/v1/agents/refund-bot/evidence/"


@pytest.fixture
def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def registered(vendor, bearer, private_key):
    response = bearer(vendor).post(
        "/api/v1/signing-keys/", {"name": "ci", "public_pem": pem(private_key)}, format="json"
    )
    assert response.status_code == 201
    return response.json()


@pytest.fixture
def signing_pact(published_pact, vendor):
    from pacts.services import pact_version_create_draft, pact_version_publish

    draft = pact_version_create_draft(
        pact=published_pact, user=vendor, document=refunds_v2()
    )  # policy-accuracy: signed only
    pact_version_publish(version=draft, user=vendor)
    return published_pact


def accuracy(wire, **overrides):
    fields = {
        "kind": "eval_run",
        "metric": "policy_accuracy",
        "successes": None,
        "trials": None,
        "value": 0.97,
        "measurement": {
            "task": "refund_policy_eval",
            "task_version": "1",
            "dataset_hash": "3f1a" * 16,
            "scorer": "match",
        },
    }
    return wire(**{**fields, **overrides})


def envelope(record: dict, key: Ed25519PrivateKey) -> dict:
    return {"envelope": dsse.sign(json.dumps(record).encode(), key)}


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def test_register_list_and_revoke_keys(vendor, buyer, bearer, private_key, registered) -> None:
    assert registered["key_id"] == dsse.key_id(private_key.public_key())
    assert [k["key_id"] for k in bearer(vendor).get("/api/v1/signing-keys/").json()] == [registered["key_id"]]
    assert (
        bearer(buyer)
        .post("/api/v1/signing-keys/", {"public_pem": pem(Ed25519PrivateKey.generate())}, format="json")
        .status_code
        == 403
    )
    bad = bearer(vendor).post(
        "/api/v1/signing-keys/",
        {"public_pem": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "public_pem"
    assert bearer(buyer).delete(f"/api/v1/signing-keys/{registered['key_id']}/").status_code == 404
    assert bearer(vendor).delete(f"/api/v1/signing-keys/{registered['key_id']}/").json()["is_active"] is False


def test_signed_record_is_accepted_and_counts(
    signing_pact, agent, vendor, bearer, wire, private_key, registered, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(bearer(vendor), envelope(accuracy(wire), private_key))
    assert response.status_code == 201, response.json()
    record = EvidenceRecord.objects.get(pk=response.json()["id"])
    assert record.signed_by.key_id == registered["key_id"]
    leaf = json.loads(record.canonical)
    assert leaf["signed"]["keyid"] == registered["key_id"]
    from verdicts.models import Verdict

    assert Verdict.objects.get(clause_id="policy-accuracy", is_current=True).used_records == 1


def test_unsigned_evidence_for_a_signed_only_clause_is_refused(signing_pact, agent, vendor, bearer, wire) -> None:
    response = post(bearer(vendor), accuracy(wire))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("envelope", "signature_required")
    assert "policy-accuracy requires signed evidence" in error["message"]
    assert post(bearer(vendor), wire()).status_code == 201  # other metrics need no signature


@pytest.mark.parametrize("case", ["tampered-payload", "other-type", "unknown-key", "revoked-key"])
def test_wrongly_signed_evidence_is_refused(
    signing_pact, agent, vendor, bearer, wire, private_key, registered, case
) -> None:
    body = envelope(accuracy(wire), private_key)
    if case == "tampered-payload":
        forged = json.dumps(accuracy(wire, value=0.99)).encode()
        body["envelope"]["payload"] = __import__("base64").b64encode(forged).decode()
    elif case == "other-type":
        body["envelope"]["payloadType"] = "text/plain"
    elif case == "unknown-key":
        body = envelope(accuracy(wire), Ed25519PrivateKey.generate())
    else:
        bearer(vendor).delete(f"/api/v1/signing-keys/{registered['key_id']}/")
    response = post(bearer(vendor), body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "envelope"
    assert EvidenceRecord.objects.count() == 0


def test_bundle_carries_signatures_and_the_verifier_checks_them(
    signing_pact, agent, vendor, bearer, wire, private_key, registered
) -> None:
    post(bearer(vendor), envelope(accuracy(wire), private_key))
    post(bearer(vendor), wire())
    tlog.checkpoint_sign()
    bundle = bundle_build(user=vendor, agent=agent)
    key = tlog.signing_key().public_pem.encode()
    assert verify_bundle(bundle, key)["records"] == 2
    signed_at = next(i for i, s in enumerate(bundle["signatures"]) if s)
    forged = json.loads(json.dumps(bundle))
    forged["signatures"][signed_at]["payload"] = __import__("base64").b64encode(b'{"value": 1}').decode()
    with pytest.raises(BundleInvalid, match="vendor signature"):
        verify_bundle(forged, key)
    missing = json.loads(json.dumps(bundle))
    missing["signatures"][signed_at] = None
    with pytest.raises(BundleInvalid, match="no envelope"):
        verify_bundle(missing, key)


def test_register_and_revoke_keys_in_the_browser_views(client, vendor, buyer, private_key) -> None:
    client.force_login(vendor)
    client.post("/evidence/signing-keys/", {"name": "pipeline", "public_pem": pem(private_key)})
    page = client.get("/evidence/").content.decode()
    assert "pipeline" in page and dsse.key_id(private_key.public_key()) in page
    client.post("/evidence/signing-keys/", {"name": "bad", "public_pem": "garbage"})

    client.post(f"/evidence/signing-keys/{dsse.key_id(private_key.public_key())}/revoke/")
    assert "revoked" in client.get("/evidence/").content.decode()
    client.force_login(buyer)
    assert client.post(f"/evidence/signing-keys/{dsse.key_id(private_key.public_key())}/revoke/").status_code == 404
