"""Vendor signing keys over the API (evidence.api.keys): a challenge, then register with proof of possession, list,
revoke; owners only, PEM and proof checked, unique per organization (issue 10, finding 10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from evidence import keyproof
from evidence.models import EvidenceRecord, KeyChallengeUse, VendorKey
from tests.factories import accuracy_record, envelope, key_registration, signing_pem
from trustcore import dsse

pytestmark = pytest.mark.django_db

Bearer = Callable[..., APIClient]


def challenge(client: APIClient) -> str:
    response = client.post("/api/v1/signing-keys/challenge/")
    assert response.status_code == 200, response.content
    return response.json()["challenge"]  # type: ignore[no-any-return]


def register(client: APIClient, key: Ed25519PrivateKey, text: str, signature: str | None = None) -> Any:
    body = {
        "name": "ci",
        "public_pem": signing_pem(key),
        "challenge": text,
        "signature": keyproof.sign(text, key) if signature is None else signature,
    }
    return client.post("/api/v1/signing-keys/", body, format="json")


def problem(response: Any) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["field"], error["code"]


def test_register_list_and_revoke_keys(vendor, buyer, bearer, private_key, registered) -> None:
    assert registered["key_id"] == dsse.key_id(private_key.public_key())
    assert [k["key_id"] for k in bearer(vendor).get("/api/v1/signing-keys/").json()] == [registered["key_id"]]
    assert bearer(buyer).post("/api/v1/signing-keys/", {}, format="json").status_code == 403
    bad = bearer(vendor).post(
        "/api/v1/signing-keys/",
        {
            **key_registration(vendor, private_key),
            "public_pem": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----",
        },
        format="json",
    )
    assert problem(bad) == (400, "public_pem", "invalid_key")
    assert bearer(buyer).delete(f"/api/v1/signing-keys/{registered['key_id']}/").status_code == 404
    assert bearer(vendor).delete(f"/api/v1/signing-keys/{registered['key_id']}/").json()["is_active"] is False


def test_the_challenge_comes_with_the_commands_that_sign_it(vendor: User, bearer: Bearer) -> None:
    body = bearer(vendor).post("/api/v1/signing-keys/challenge/").json()
    assert body["challenge"].startswith(keyproof.PREFIX + ":")
    assert f"'{body['challenge']}'" in body["openssl"] and "openssl pkeyutl -sign -rawin" in body["openssl"]
    assert f"'{body['challenge']}'" in body["python"]
    assert KeyChallengeUse.objects.count() == 0  # issuing one stores nothing


def test_only_owners_of_a_vendor_get_a_challenge(vendor: User, buyer: User, bearer: Bearer, api_client) -> None:
    assert api_client.post("/api/v1/signing-keys/challenge/").status_code == 401
    assert bearer(buyer).post("/api/v1/signing-keys/challenge/").status_code == 403
    assert bearer(vendor, read_only=True).post("/api/v1/signing-keys/challenge/").status_code == 403


def test_registration_without_a_valid_signature_is_refused(vendor: User, bearer: Bearer) -> None:
    client, key = bearer(vendor), Ed25519PrivateKey.generate()
    text = challenge(client)
    someone_elses = keyproof.sign(text, Ed25519PrivateKey.generate())
    assert problem(register(client, key, text, signature=someone_elses)) == (400, "signature", "bad_signature")
    assert problem(register(client, key, text, signature="not base64!")) == (400, "signature", "bad_signature")
    over_another_text = keyproof.sign(challenge(client), key)
    assert problem(register(client, key, text, signature=over_another_text)) == (400, "signature", "bad_signature")
    assert not VendorKey.objects.exists()
    assert register(client, key, text).status_code == 201  # a refusal does not use the challenge up


def test_a_replayed_registration_is_refused(vendor: User, bearer: Bearer) -> None:
    client, key = bearer(vendor), Ed25519PrivateKey.generate()
    text = challenge(client)
    signature = keyproof.sign(text, key)
    assert register(client, key, text, signature).status_code == 201
    client.delete(f"/api/v1/signing-keys/{dsse.key_id(key.public_key())}/")
    assert problem(register(client, key, text, signature)) == (400, "challenge", "challenge_used")
    other = Ed25519PrivateKey.generate()
    assert problem(register(client, other, text)) == (400, "challenge", "challenge_used")


def test_a_challenge_expires(vendor: User, bearer: Bearer) -> None:
    client, key = bearer(vendor), Ed25519PrivateKey.generate()
    text = challenge(client)
    with time_machine.travel(timezone.now() + keyproof.MAX_AGE + timedelta(seconds=5)):
        assert problem(register(client, key, text)) == (400, "challenge", "challenge_expired")


def test_a_challenge_not_issued_by_the_portal_is_refused(vendor: User, bearer: Bearer) -> None:
    client, key = bearer(vendor), Ed25519PrivateKey.generate()
    forged = f"{keyproof.PREFIX}:{vendor.organization.pk}:made-up"  # type: ignore[union-attr]
    assert problem(register(client, key, forged)) == (400, "challenge", "challenge_invalid")
    tampered = challenge(client)[:-1] + "x"
    assert problem(register(client, key, tampered)) == (400, "challenge", "challenge_invalid")


def test_another_organizations_challenge_is_refused(vendor: User, vendor_b: User, bearer: Bearer) -> None:
    key = Ed25519PrivateKey.generate()
    theirs = challenge(bearer(vendor_b))
    assert problem(register(bearer(vendor), key, theirs)) == (400, "challenge", "challenge_invalid")


def test_nobody_can_squat_another_vendors_key(vendor: User, vendor_b: User, bearer: Bearer) -> None:
    """Vendor B knows vendor A's public key but not its private key: B cannot register it, and A still can."""
    key_of_a = Ed25519PrivateKey.generate()
    squatter = bearer(vendor_b)
    text = challenge(squatter)
    guessed = keyproof.sign(text, Ed25519PrivateKey.generate())
    assert problem(register(squatter, key_of_a, text, signature=guessed)) == (400, "signature", "bad_signature")
    assert register(bearer(vendor), key_of_a, challenge(bearer(vendor))).status_code == 201


def test_two_organizations_holding_one_key_may_each_register_it(vendor: User, vendor_b: User, bearer: Bearer) -> None:
    shared = Ed25519PrivateKey.generate()  # e.g. one contractor's pipeline signing for both
    for user in (vendor_b, vendor):
        assert register(bearer(user), shared, challenge(bearer(user))).status_code == 201
    assert VendorKey.objects.filter(key_id=dsse.key_id(shared.public_key())).count() == 2


def test_an_organization_registers_a_key_once(vendor: User, bearer: Bearer) -> None:
    client, key = bearer(vendor), Ed25519PrivateKey.generate()
    assert register(client, key, challenge(client)).status_code == 201
    assert problem(register(client, key, challenge(client))) == (400, "public_pem", "already_registered")


def test_staff_revoking_a_key_two_organizations_registered_must_choose_in_the_admin(
    vendor: User, vendor_b: User, staff: User, bearer: Bearer
) -> None:
    shared = Ed25519PrivateKey.generate()
    for user in (vendor, vendor_b):
        register(bearer(user), shared, challenge(bearer(user)))
    response = bearer(staff).delete(f"/api/v1/signing-keys/{dsse.key_id(shared.public_key())}/")
    assert response.status_code == 409
    assert not VendorKey.objects.filter(revoked_at__isnull=False).exists()
    # Each organization's owner revokes its own row.
    assert bearer(vendor).delete(f"/api/v1/signing-keys/{dsse.key_id(shared.public_key())}/").status_code == 200
    assert VendorKey.objects.get(organization=vendor_b.organization).revoked_at is None


# --- ingest reads the keys of the agent's organization only ----------------------------------------------------


def test_a_key_only_another_vendor_registered_signs_nothing_for_this_agent(
    signing_pact, agent, vendor: User, vendor_b: User, bearer: Bearer
) -> None:
    key = Ed25519PrivateKey.generate()
    assert register(bearer(vendor_b), key, challenge(bearer(vendor_b))).status_code == 201
    response = bearer(vendor).post(
        f"/api/v1/agents/{agent.slug}/evidence/", envelope(accuracy_record(), key), format="json"
    )
    assert problem(response) == (400, "envelope", "bad_signature")


def test_a_record_signed_with_a_shared_key_names_its_own_organizations_row(
    signing_pact, agent, vendor: User, vendor_b: User, bearer: Bearer
) -> None:
    shared = Ed25519PrivateKey.generate()
    for user in (vendor_b, vendor):
        register(bearer(user), shared, challenge(bearer(user)))
    response = bearer(vendor).post(
        f"/api/v1/agents/{agent.slug}/evidence/", envelope(accuracy_record(), shared), format="json"
    )
    assert response.status_code == 201
    record = EvidenceRecord.objects.select_related("signed_by").get(pk=response.json()["id"])
    assert record.signed_by is not None and record.signed_by.organization_id == agent.organization_id
