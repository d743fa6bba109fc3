"""DSSE envelopes (trustcore.dsse): the PAE of the DSSE spec, signatures over type and payload, verified
before the payload is trusted, with a reason for every refusal."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trustcore import dsse

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEYID = dsse.key_id(KEY.public_key())
PAYLOAD = b'{"metric": "policy_accuracy", "value": 0.97}'


def lookup(keyid: str):
    return KEY.public_key() if keyid == KEYID else None


def test_pae_is_the_spec_example() -> None:
    # https://github.com/secure-systems-lab/dsse/blob/master/protocol.md (the PAE example)
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_key_id_is_16_hex_digits_of_the_raw_key_hash() -> None:
    assert len(KEYID) == 16 and int(KEYID, 16) >= 0
    assert dsse.key_id(Ed25519PrivateKey.generate().public_key()) != KEYID


def test_a_signed_envelope_opens_to_its_payload_and_key() -> None:
    envelope = dsse.sign(PAYLOAD, KEY)
    assert envelope["payloadType"] == dsse.PAYLOAD_TYPE
    assert dsse.open_envelope(envelope, lookup) == (PAYLOAD, KEYID)


def _tampered_payload(envelope: dict) -> None:
    envelope["payload"] = base64.b64encode(PAYLOAD.replace(b"0.97", b"0.99")).decode()


def _flipped_signature(envelope: dict) -> None:
    raw = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    raw[0] ^= 1
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_tampered_payload, "does not verify"),
        (_flipped_signature, "does not verify"),
        (lambda e: e.update(payloadType="text/plain"), "payloadType must be"),
        (lambda e: e.update(payload="not base64!"), "not valid base64"),
        (lambda e: e.update(signatures=[]), "no signatures"),
        (lambda e: e["signatures"][0].update(keyid="0" * 16), "No signature by a registered"),
    ],
    ids=["payload", "signature", "type", "base64", "no-signatures", "unknown-key"],
)
def test_every_change_is_refused_with_its_reason(change, message: str) -> None:
    envelope = dsse.sign(PAYLOAD, KEY)
    change(envelope)
    with pytest.raises(dsse.EnvelopeInvalid, match=message):
        dsse.open_envelope(envelope, lookup)


@pytest.mark.parametrize("envelope", [None, [], "envelope", 42], ids=["none", "list", "string", "number"])
def test_a_non_object_is_no_envelope(envelope) -> None:
    with pytest.raises(dsse.EnvelopeInvalid, match="Expected a DSSE envelope"):
        dsse.open_envelope(envelope, lookup)
