"""Vendor signing keys over the API (evidence.api.keys): register, list, revoke; owners only, PEM checked."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.factories import signing_pem
from trustcore import dsse

pytestmark = pytest.mark.django_db


def test_register_list_and_revoke_keys(vendor, buyer, bearer, private_key, registered) -> None:
    assert registered["key_id"] == dsse.key_id(private_key.public_key())
    assert [k["key_id"] for k in bearer(vendor).get("/api/v1/signing-keys/").json()] == [registered["key_id"]]
    assert (
        bearer(buyer)
        .post("/api/v1/signing-keys/", {"public_pem": signing_pem(Ed25519PrivateKey.generate())}, format="json")
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
