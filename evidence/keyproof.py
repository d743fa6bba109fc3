"""Proof of possession for vendor signing keys: the portal issues a challenge, the vendor signs it with the key.

A challenge is an HMAC-signed text (Django's ``signing``, keyed by ``SECRET_KEY``) naming the organization it was
issued to, a 128-bit random nonce and the time, so showing one on a page stores nothing. It is good for
``MAX_AGE`` and for one registration: the registration records its nonce (``KeyChallengeUse``), and a second one
is refused. The vendor signs the challenge text's UTF-8 bytes, as they are, with Ed25519.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core import signing
from django.utils import timezone

PREFIX = "trust-portal-key-challenge-v1"
MAX_AGE = timedelta(minutes=15)
_SALT = "evidence.keyproof"


@dataclass(frozen=True)
class Challenge:
    text: str
    expires_at: datetime

    def openssl_command(self, key_file: str = "signing-key.pem") -> str:
        """The shell lines that sign it with an Ed25519 private key in PEM form (OpenSSL 3)."""
        return (
            f"printf '%s' '{self.text}' > challenge.txt\n"
            f"openssl pkeyutl -sign -rawin -inkey {key_file} -in challenge.txt | openssl base64 -A"
        )

    def python_command(self, key_file: str = "signing-key.pem") -> str:
        """The same with Python and the cryptography package."""
        return (
            'python3 -c "import base64,sys; from cryptography.hazmat.primitives.serialization import '
            "load_pem_private_key as load; key = load(open(sys.argv[1], 'rb').read(), None); "
            f"print(base64.b64encode(key.sign(sys.argv[2].encode())).decode())\" {key_file} '{self.text}'"
        )


class ProofInvalid(ValueError):
    """Why a challenge or its signature is refused: ``field`` and ``code`` say which and how."""

    def __init__(self, message: str, *, field: str, code: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def challenge_issue(*, organization_id: int) -> Challenge:
    text = signing.TimestampSigner(salt=_SALT).sign(f"{PREFIX}:{organization_id}:{secrets.token_urlsafe(16)}")
    return Challenge(text=text, expires_at=timezone.now() + MAX_AGE)


def challenge_nonce(text: str, *, organization_id: int) -> str:
    """The nonce of a challenge this portal issued to the organization within ``MAX_AGE``; ProofInvalid otherwise."""
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(text.strip(), max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise ProofInvalid(
            f"The challenge has expired (a challenge is good for {int(MAX_AGE.total_seconds() // 60)} minutes): "
            "ask for a new one and sign that.",
            field="challenge",
            code="challenge_expired",
        ) from None
    except signing.BadSignature:
        raise ProofInvalid(
            "This is not a challenge the portal issued: send the challenge text exactly as it was given.",
            field="challenge",
            code="challenge_invalid",
        ) from None
    prefix, _, rest = value.partition(":")
    issued_to, _, nonce = rest.partition(":")
    if prefix != PREFIX or not nonce:
        raise ProofInvalid(
            "This is not a signing-key challenge.", field="challenge", code="challenge_invalid"
        )  # pragma: no cover - only this module signs with this salt
    if issued_to != str(organization_id):
        raise ProofInvalid(
            "This challenge was issued to another organization: ask for one as a member of yours.",
            field="challenge",
            code="challenge_invalid",
        )
    return nonce


def signature_verifies(public_key: Ed25519PublicKey, text: str, signature: str) -> bool:
    """Whether ``signature`` (base64) is the key's Ed25519 signature over the challenge text.

    A trailing newline after the text (``echo`` instead of ``printf '%s'``) is forgiven: it proves the same.
    """
    try:
        raw = base64.b64decode("".join(signature.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    text = text.strip()
    for message in (text.encode(), text.encode() + b"\n"):
        try:
            public_key.verify(raw, message)
        except InvalidSignature:
            continue
        return True
    return False


def sign(text: str, private_key: Ed25519PrivateKey) -> str:
    """The vendor's side (demo data, tests, scripts): the base64 signature over a challenge."""
    return base64.b64encode(private_key.sign(text.encode())).decode()
