"""Signed checkpoints of the transparency log: C2SP tlog-checkpoint in a C2SP signed note.

A checkpoint (https://c2sp.org/tlog-checkpoint) is the note text::

    <origin>\\n
    <tree size, ASCII decimal, no leading zeros>\\n
    <base64 of the 32-byte RFC 6962 root hash>\\n
    [<extension line>\\n ...]

signed as a note (https://c2sp.org/signed-note): the text, a blank line, then one
line per signature::

    — <key name> <base64(4-byte key ID || 64-byte Ed25519 signature of the text)>\\n

with ``key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]``.
The output is byte-for-byte what Go's golang.org/x/mod/sumdb/note produces, so Go
tooling (and witnesses) can verify our checkpoints and we can verify theirs.

Dependencies: the Python standard library and ``cryptography`` only (the offline
verifier imports this module on its own).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "ED25519_SIGNATURE_TYPE",
    "MAX_SIGNATURES",
    "Checkpoint",
    "CheckpointError",
    "NoteSignature",
    "checkpoint_body",
    "key_id",
    "parse_checkpoint",
    "parse_note",
    "parse_verifier_key",
    "public_key_from_pem",
    "public_key_pem",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
    "verify_checkpoint",
    "verify_note",
]

ED25519_SIGNATURE_TYPE = 0x01
"""The signed-note signature type identifier byte of Ed25519."""

MAX_SIGNATURES = 100
"""Notes with more signature lines are rejected (the spec asks verifiers to accept at least 16)."""

ROOT_HASH_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
ED25519_PUBLIC_KEY_SIZE = 32

_EM_DASH = "\u2014"
_SIGNATURE_PREFIX = _EM_DASH + " "
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")  # ASCII digits only, no sign, no leading zeros
_MAX_TREE_SIZE = 2**64 - 1


class CheckpointError(ValueError):
    """A note or checkpoint is malformed, or is not validly signed by the expected key."""


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note (not necessarily verified)."""

    key_name: str
    key_id: bytes  # 4 bytes, big-endian uint32 on the wire
    signature: bytes  # the signature proper, after the key ID

    @property
    def line(self) -> str:
        """The signature line as it appears in the note, with its final newline."""
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_SIGNATURE_PREFIX}{self.key_name} {encoded}\n"


@dataclass(frozen=True)
class Checkpoint:
    """A parsed checkpoint. ``signatures`` lists every signature line of the note, verified or not."""

    origin: str
    size: int
    root: bytes
    signatures: tuple[NoteSignature, ...] = ()
    extensions: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        """The signed note text: origin, size, root and extension lines, each ending in a newline."""
        return checkpoint_body(self.origin, self.size, self.root) + "".join(line + "\n" for line in self.extensions)


# --- keys --------------------------------------------------------------------------------


def _raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_key_name(key_name: object) -> str:
    if not isinstance(key_name, str) or not key_name:
        raise CheckpointError("invalid key name: it must be a non-empty string")
    if "+" in key_name or any(char.isspace() or char < " " for char in key_name):
        raise CheckpointError(f"invalid key name {key_name!r}: it must not contain spaces, '+' or control characters")
    return key_name


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte signed-note key ID: SHA-256(key name || 0x0A || 0x01 || public key)[:4]."""
    _check_key_name(key_name)
    material = key_name.encode("utf-8") + b"\n" + bytes([ED25519_SIGNATURE_TYPE]) + _raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:4]


def verifier_key(key_name: str, public_key: Ed25519PublicKey) -> str:
    """The key as a Go note verifier key string: ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
    encoded = base64.b64encode(bytes([ED25519_SIGNATURE_TYPE]) + _raw_public_key(public_key)).decode("ascii")
    return f"{key_name}+{key_id(key_name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """``(key name, public key)`` from a Go note verifier key string; checks its key ID."""
    name, _, rest = vkey.partition("+")
    hex_id, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise CheckpointError(f"bad format: verifier key material is not base64 ({error})") from None
    if len(raw) != 1 + ED25519_PUBLIC_KEY_SIZE or raw[0] != ED25519_SIGNATURE_TYPE:
        raise CheckpointError("unsupported verifier key: only Ed25519 (type 0x01, 32 bytes) is supported")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if hex_id != key_id(name, public_key).hex():
        raise CheckpointError(f"bad verifier key: key ID {hex_id!r} does not match the key")
    return name, public_key


def public_key_from_pem(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CheckpointError(
            "not a PEM public key (expected a -----BEGIN PUBLIC KEY----- block holding an Ed25519 key)"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"unsupported public key: expected Ed25519, got {type(key).__name__}")
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo)."""
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- notes (c2sp.org/signed-note) --------------------------------------------------------------


def _check_note_characters(text: str, what: str) -> None:
    for char in text:
        if char < " " and char != "\n":
            raise CheckpointError(f"bad format: {what} contains the control character {char!r}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CheckpointError(f"bad format: {what} is not valid UTF-8 (lone surrogate)") from None


def sign_note(text: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: ``text``, a blank line, and the Ed25519 signature line of ``key_name``."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("bad format: note text must be a string ending in a newline")
    _check_note_characters(text, "note text")
    _check_key_name(key_name)
    signature = private_key.sign(text.encode("utf-8"))
    line = NoteSignature(key_name, key_id(key_name, private_key.public_key()), signature).line
    return f"{text}\n{line}"


def _decode_note(note: str | bytes) -> str:
    if isinstance(note, bytes | bytearray):
        try:
            return bytes(note).decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError("bad format: note is not valid UTF-8") from None
    if not isinstance(note, str):
        raise CheckpointError(f"bad format: note must be str or bytes, not {type(note).__name__}")
    return note


def parse_note(note: str | bytes) -> tuple[str, tuple[NoteSignature, ...]]:
    """``(text, signatures)`` of a signed note, without verifying anything.

    The text ends at the last blank line and keeps its final newline; every line
    after it must be a well-formed signature line.
    """
    note = _decode_note(note)
    _check_note_characters(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("bad format: no blank line between the note text and its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise CheckpointError("bad format: the note has no signature lines")
    if not block.endswith("\n"):
        raise CheckpointError("bad format: the last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"bad format: more than {MAX_SIGNATURES} signature lines")
    signatures = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(_SIGNATURE_PREFIX):
            raise CheckpointError(f"bad format: signature line {number} does not start with an em dash and a space")
        name, space, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        if not space:
            raise CheckpointError(f"bad format: signature line {number} has no space between key name and signature")
        try:
            _check_key_name(name)
        except CheckpointError as error:
            raise CheckpointError(f"bad format: signature line {number}: {error}") from None
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointError(f"bad format: signature line {number} is not base64") from None
        if len(raw) < 5:
            raise CheckpointError(f"bad format: signature line {number} is too short for a key ID and a signature")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    return text, tuple(signatures)


def _verify_signatures(
    text: str, signatures: tuple[NoteSignature, ...], key_name: str, public_key: Ed25519PublicKey
) -> None:
    expected_id = key_id(key_name, public_key)
    label = f"{key_name}+{expected_id.hex()}"
    matching = [s for s in signatures if s.key_name == key_name and s.key_id == expected_id]
    if not matching:
        found = ", ".join(f"{s.key_name}+{s.key_id.hex()}" for s in signatures)
        raise CheckpointError(f"unknown key: the note has no signature by {label} (it is signed by {found})")
    message = text.encode("utf-8")
    for signature in matching:
        if len(signature.signature) != ED25519_SIGNATURE_SIZE:
            raise CheckpointError(
                f"bad signature by {label}: {len(signature.signature)} bytes, "
                f"an Ed25519 signature has {ED25519_SIGNATURE_SIZE}"
            )
        try:
            public_key.verify(signature.signature, message)
        except InvalidSignature:
            raise CheckpointError(f"bad signature by {label}: it does not verify over the note text") from None


def verify_note(note: str | bytes, key_name: str, public_key: Ed25519PublicKey) -> str:
    """The text of ``note`` once a signature by (``key_name``, ``public_key``) verifies.

    Follows the signed-note rules: signatures by other keys are ignored; if none is
    by the expected key the note is rejected ("unknown key"); if any signature by the
    expected key fails, the whole note is rejected ("bad signature").
    """
    _check_key_name(key_name)
    text, signatures = parse_note(note)
    _verify_signatures(text, signatures, key_name, public_key)
    return text


# --- checkpoints (c2sp.org/tlog-checkpoint) -----------------------------------------------------


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """``<origin>\\n<size>\\n<base64 root>\\n``: the note text of a checkpoint."""
    if not isinstance(origin, str) or not origin:
        raise CheckpointError("bad format: origin must be a non-empty string")
    if "\n" in origin:
        raise CheckpointError("bad format: origin must be a single line")
    _check_note_characters(origin, "origin")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _MAX_TREE_SIZE:
        raise CheckpointError(f"bad format: tree size must be an int in [0, 2**64), got {size!r}")
    if not isinstance(root, bytes | bytearray) or len(root) != ROOT_HASH_SIZE:
        raise CheckpointError(f"bad format: root hash must be {ROOT_HASH_SIZE} bytes")
    return f"{origin}\n{size}\n{base64.b64encode(bytes(root)).decode('ascii')}\n"


def _parse_body(text: str) -> tuple[str, int, bytes, tuple[str, ...]]:
    if not text.endswith("\n"):
        raise CheckpointError("bad format: checkpoint text does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"bad format: a checkpoint has at least 3 lines (origin, size, root), got {len(lines)}")
    origin, size_line, root_line, *extensions = lines
    if not origin:
        raise CheckpointError("bad format: empty origin line")
    if not _TREE_SIZE.fullmatch(size_line) or int(size_line) > _MAX_TREE_SIZE:
        raise CheckpointError(f"bad format: tree size {size_line!r} is not a decimal number without leading zeros")
    try:
        root = base64.b64decode(root_line, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"bad format: root hash {root_line!r} is not base64") from None
    if len(root) != ROOT_HASH_SIZE:
        raise CheckpointError(f"bad format: root hash has {len(root)} bytes, want {ROOT_HASH_SIZE}")
    if base64.b64encode(root).decode("ascii") != root_line:
        raise CheckpointError(f"bad format: root hash {root_line!r} is not canonical base64")
    if any(not line for line in extensions):
        raise CheckpointError("bad format: empty extension line")
    return origin, int(size_line), root, tuple(extensions)


def sign_checkpoint(body: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed checkpoint note for ``body`` (see :func:`checkpoint_body`), signed by ``key_name``."""
    if not isinstance(body, str):
        raise CheckpointError("bad format: checkpoint body must be a string")
    _check_note_characters(body, "checkpoint body")
    _parse_body(body)  # never sign something that is not a checkpoint
    return sign_note(body, key_name, private_key)


def parse_checkpoint(note: str | bytes) -> Checkpoint:
    """The checkpoint in a signed note, without verifying its signatures."""
    text, signatures = parse_note(note)
    origin, size, root, extensions = _parse_body(text)
    return Checkpoint(origin, size, root, signatures, extensions)


def verify_checkpoint(
    note: str | bytes, key_name: str, public_key: Ed25519PublicKey, *, origin: str | None = None
) -> Checkpoint:
    """The checkpoint in ``note``, once its signature by (``key_name``, ``public_key``) verifies.

    Raises :class:`CheckpointError` naming what broke: "bad format: ...",
    "unknown key: ..." (no signature by that key), "bad signature by ..." or, when
    ``origin`` is given, "origin mismatch: ...".
    """
    _check_key_name(key_name)
    text, signatures = parse_note(note)
    body = _parse_body(text)
    _verify_signatures(text, signatures, key_name, public_key)
    checkpoint = Checkpoint(body[0], body[1], body[2], signatures, body[3])
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"origin mismatch: the checkpoint is for {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
