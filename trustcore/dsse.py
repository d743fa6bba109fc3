"""DSSE-style envelopes for vendor-signed evidence (standard library + cryptography only).

An envelope is ``{"payloadType": …, "payload": base64(bytes), "signatures": [{"keyid": …, "sig": base64}]}``;
each signature is Ed25519 over PAE(payloadType, payload) = "DSSEv1 <len(type)> <type> <len(body)> <body>",
so the signature covers the payload type and bytes. Signatures are verified *before* the payload is
parsed or trusted.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PAYLOAD_TYPE = "application/vnd.trust-portal.evidence+json"


class EnvelopeInvalid(ValueError):
    pass


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@functools.lru_cache(maxsize=16)  # a signer signs with a few keys, again and again (receipts: one a request)
def _signer_key_id(private_key: Ed25519PrivateKey) -> str:
    return key_id(private_key.public_key())


def sign(payload: bytes, private_key: Ed25519PrivateKey, payload_type: str = PAYLOAD_TYPE) -> dict[str, Any]:
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [
            {
                "keyid": _signer_key_id(private_key),
                "sig": base64.b64encode(private_key.sign(pae(payload_type, payload))).decode(),
            }
        ],
    }


def open_envelope(
    envelope: Any, lookup: Callable[[str], Ed25519PublicKey | None], payload_type: str = PAYLOAD_TYPE
) -> tuple[bytes, str]:
    """Verify the envelope with a key ``lookup(keyid)`` returns; return (payload bytes, keyid). Raises EnvelopeInvalid."""
    if not isinstance(envelope, dict):
        raise EnvelopeInvalid("Expected a DSSE envelope {payloadType, payload, signatures}.")
    if envelope.get("payloadType") != payload_type:
        raise EnvelopeInvalid(f"payloadType must be {payload_type!r}.")
    try:
        payload = base64.b64decode(envelope.get("payload", ""), validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise EnvelopeInvalid("payload is not valid base64.") from None
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeInvalid("The envelope has no signatures.")
    unknown = []
    for signature in signatures:
        keyid = signature.get("keyid") if isinstance(signature, dict) else None
        key = lookup(keyid) if isinstance(keyid, str) else None
        if key is None:
            unknown.append(str(keyid))
            continue
        try:
            key.verify(base64.b64decode(signature.get("sig", ""), validate=True), pae(payload_type, payload))
        except (InvalidSignature, binascii.Error, ValueError, TypeError):
            raise EnvelopeInvalid(
                f"The signature by key {keyid} does not verify: the payload or its type was changed, or the wrong key signed."
            ) from None
        return payload, str(keyid)
    raise EnvelopeInvalid(
        f"No signature by a registered, unrevoked key of this vendor (key ids: {', '.join(unknown)})."
    )
