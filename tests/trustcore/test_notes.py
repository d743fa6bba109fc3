"""Signed checkpoints (trustcore.notes): C2SP tlog-checkpoint bodies in C2SP signed notes.

Known answers from other implementations:

* [GO-NOTE] golang.org/x/mod/sumdb/note, the package documentation's example
  (sumdb/note/note.go): the "PeterNeumann" signer key, its verifier key and the
  exact signed note. Ed25519 is deterministic (RFC 8032), so signing the same text
  with the same key must reproduce the published note byte for byte.
  https://github.com/golang/mod/blob/master/sumdb/note/note.go
* [SUMDB] real checkpoints signed by the Go checksum database, sum.golang.org, whose
  verifier key is published in cmd/go (src/cmd/go/internal/modfetch/key.go). The
  tree-size-31700353 note is from transparency-dev/trillian-tessera,
  internal/parse/checkpoint_test.go (BenchmarkCheckpointUnsafe); the
  tree-size-65209736 note was served for a lookup of golang.org/x/sync@v0.1.0.

Specs: https://c2sp.org/signed-note and https://c2sp.org/tlog-checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcore.merkle import MemoryTree
from trustcore.notes import (
    MAX_SIGNATURES,
    Checkpoint,
    CheckpointError,
    NoteSignature,
    checkpoint_body,
    key_id,
    parse_checkpoint,
    parse_note,
    parse_verifier_key,
    public_key_from_pem,
    public_key_pem,
    sign_checkpoint,
    sign_note,
    verifier_key,
    verify_checkpoint,
    verify_note,
)

EM_DASH = "\u2014"

# --- [GO-NOTE] ---------------------------------------------------------------------------------------

GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (
    GO_TEXT
    + "\n"
    + EM_DASH
    + " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def go_private_key() -> Ed25519PrivateKey:
    material = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])
    assert material[0] == 0x01  # Ed25519
    return Ed25519PrivateKey.from_private_bytes(material[1:])


# --- [SUMDB] ------------------------------------------------------------------------------------------

SUMDB_VERIFIER_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTES = [
    (
        "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n"
        f"{EM_DASH} sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n",
        31700353,
        "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=",
    ),
    (
        "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n"
        f"{EM_DASH} sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n",
        65209736,
        "5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=",
    ),
]

# --- our own log, with a fixed key --------------------------------------------------------------------

ORIGIN = "trust-portal.example/evidence-log"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ROOT8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")  # 8-leaf RFC 6962 test tree
FIXED_NOTE = (  # golden output for KEY; test_fixed_key_note_is_byte_exact rebuilds it independently
    "trust-portal.example/evidence-log\n"
    "8\n"
    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    "\n"
    f"{EM_DASH} trust-portal.example/evidence-log "
    "aQDSJ2LtDO7KYRZDTsQM/WxLICXlJDbx4ge9eoBaZZYfe/33mb31+yieh6hpPXo5X5ZlVBszvIcz5naJliIMeXUEmg8=\n"
)


def signed(size: int = 8, root: bytes = ROOT8, key: Ed25519PrivateKey = KEY, name: str = ORIGIN) -> str:
    return sign_checkpoint(checkpoint_body(ORIGIN, size, root), name, key)


# --- known answers ---------------------------------------------------------------------------------------


def test_go_note_example_is_reproduced_byte_for_byte() -> None:
    private_key = go_private_key()
    assert key_id("PeterNeumann", private_key.public_key()).hex() == "c74f20a3"
    assert verifier_key("PeterNeumann", private_key.public_key()) == GO_VERIFIER_KEY
    assert sign_note(GO_TEXT, "PeterNeumann", private_key) == GO_NOTE
    name, public_key = parse_verifier_key(GO_VERIFIER_KEY)
    assert name == "PeterNeumann"
    assert verify_note(GO_NOTE, name, public_key) == GO_TEXT
    assert verify_note(GO_NOTE.encode("utf-8"), name, public_key) == GO_TEXT


@pytest.mark.parametrize(("note", "size", "root"), SUMDB_NOTES)
def test_real_sum_golang_org_checkpoints_verify(note: str, size: int, root: str) -> None:
    name, public_key = parse_verifier_key(SUMDB_VERIFIER_KEY)
    assert key_id(name, public_key).hex() == "033de0ae"
    checkpoint = verify_checkpoint(note, name, public_key, origin="go.sum database tree")
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.size == size
    assert checkpoint.root == base64.b64decode(root)
    assert checkpoint.body + "\n" + checkpoint.signatures[0].line == note
    tampered = note.replace(f"\n{size}\n", f"\n{size + 1}\n")
    with pytest.raises(CheckpointError, match="bad signature"):
        verify_checkpoint(tampered, name, public_key)


def test_fixed_key_note_is_byte_exact() -> None:
    body = checkpoint_body(ORIGIN, 8, ROOT8)
    assert body == f"{ORIGIN}\n8\n{base64.b64encode(ROOT8).decode()}\n"
    note = sign_checkpoint(body, ORIGIN, KEY)
    assert note == FIXED_NOTE
    # Rebuilt from the specs with nothing but hashlib and cryptography:
    raw_public = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    expected_id = hashlib.sha256(ORIGIN.encode() + b"\n" + b"\x01" + raw_public).digest()[:4]
    blob = base64.b64encode(expected_id + KEY.sign(body.encode())).decode()
    assert note == body + "\n" + EM_DASH + " " + ORIGIN + " " + blob + "\n"
    # The shape: three body lines, a blank line, one signature line, a final newline.
    lines = note.split("\n")
    assert lines[0] == ORIGIN
    assert lines[1] == "8"
    assert base64.b64decode(lines[2], validate=True) == ROOT8
    assert lines[3] == ""
    assert lines[4].startswith("\u2014 " + ORIGIN + " ")
    assert len(base64.b64decode(lines[4].rsplit(" ", 1)[1])) == 4 + 64
    assert lines[5:] == [""]
    assert note.endswith("\n") and not note.endswith("\n\n")


def test_round_trip() -> None:
    tree = MemoryTree()
    for i in range(13):
        tree.append(b"record %d" % i)
    note = sign_checkpoint(checkpoint_body(ORIGIN, tree.size, tree.root()), ORIGIN, KEY)
    checkpoint = verify_checkpoint(note, ORIGIN, KEY.public_key(), origin=ORIGIN)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, 13, tree.root())
    assert checkpoint.signatures == (
        NoteSignature(ORIGIN, key_id(ORIGIN, KEY.public_key()), checkpoint.signatures[0].signature),
    )
    assert checkpoint.extensions == ()
    assert parse_checkpoint(note) == checkpoint
    assert parse_checkpoint(note.encode()) == checkpoint


@settings(max_examples=50, deadline=None)
@given(
    origin=st.text(
        alphabet=st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), min_size=1, max_size=30
    ).filter(lambda s: "\n" not in s),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    seed=st.binary(min_size=32, max_size=32),
)
def test_round_trip_any_checkpoint(origin: str, size: int, root: bytes, seed: bytes) -> None:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    note = sign_checkpoint(checkpoint_body(origin, size, root), "log.example/key", key)
    checkpoint = verify_checkpoint(note, "log.example/key", key.public_key())
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (origin, size, root)


def test_empty_tree_checkpoint() -> None:
    empty_root = hashlib.sha256(b"").digest()
    note = signed(size=0, root=empty_root)
    assert note.split("\n")[1] == "0"
    assert verify_checkpoint(note, ORIGIN, KEY.public_key()).size == 0


# --- tampering ----------------------------------------------------------------------------------------


def _replace_line(note: str, number: int, new: str) -> str:
    lines = note.split("\n")
    lines[number] = new
    return "\n".join(lines)


def _signature_blob(note: str) -> bytes:
    return base64.b64decode(note.split("\n")[4].rsplit(" ", 1)[1])


def _with_blob(note: str, blob: bytes) -> str:
    line = note.split("\n")[4]
    return _replace_line(note, 4, line.rsplit(" ", 1)[0] + " " + base64.b64encode(blob).decode())


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda n: _replace_line(n, 0, "trust-portal.example/other-log"), "bad signature"),
        (lambda n: _replace_line(n, 1, "9"), "bad signature"),
        (lambda n: _replace_line(n, 1, "7"), "bad signature"),
        (lambda n: _replace_line(n, 2, base64.b64encode(bytes(32)).decode()), "bad signature"),
        (
            lambda n: _with_blob(
                n, _signature_blob(n)[:4] + bytes([_signature_blob(n)[4] ^ 1]) + _signature_blob(n)[5:]
            ),
            "bad signature",
        ),
        (lambda n: _with_blob(n, _signature_blob(n)[:-1] + bytes([_signature_blob(n)[-1] ^ 0x80])), "bad signature"),
        (lambda n: _with_blob(n, _signature_blob(n)[:40]), "bad signature.*36 bytes"),
        (lambda n: _with_blob(n, bytes([_signature_blob(n)[0] ^ 1]) + _signature_blob(n)[1:]), "unknown key"),
        (lambda n: n.replace(f"{EM_DASH} {ORIGIN} ", f"{EM_DASH} trust-portal.example/other-key "), "unknown key"),
        (lambda n: _replace_line(n, 1, "08"), "bad format: tree size"),
        (lambda n: _replace_line(n, 1, "-8"), "bad format: tree size"),
        (lambda n: _replace_line(n, 1, "+8"), "bad format: tree size"),
        (lambda n: _replace_line(n, 1, " 8"), "bad format: tree size"),
        (lambda n: _replace_line(n, 1, "\u0668"), "bad format: tree size"),  # ARABIC-INDIC DIGIT EIGHT
        (lambda n: _replace_line(n, 1, "18446744073709551616"), "bad format: tree size"),
        (lambda n: _replace_line(n, 2, "not base64!"), "bad format: root hash"),
        (lambda n: _replace_line(n, 2, base64.b64encode(bytes(31)).decode()), "bad format: root hash has 31 bytes"),
        (lambda n: _replace_line(n, 2, n.split("\n")[2][:-2] + "h="), "bad format: root hash .* not canonical"),
        (lambda n: _replace_line(n, 0, ""), "bad format: empty origin"),
        (lambda n: n.replace("\n\n", "\n"), "bad format: no blank line"),
        (lambda n: n[:-1], "bad format: the last signature line"),
        (lambda n: n.split("\n\n")[0] + "\n\n", "bad format: the note has no signature lines"),
        (lambda n: n.replace(EM_DASH, "-"), "bad format: signature line 1 does not start"),
        (lambda n: n.replace(f"{EM_DASH} ", f"{EM_DASH} bad+name "), "bad format: signature line 1"),
        (lambda n: n.replace("aQDSJ", "*QDSJ"), "bad format: signature line 1 is not base64"),
        (lambda n: _with_blob(n, b"\x01\x02\x03\x04"), "bad format: signature line 1 is too short"),
        (lambda n: n.replace("8\n", "8\r\n", 1), "bad format: note contains the control character"),
        (lambda n: "\n".join(n.split("\n")[1:]), "bad format"),
    ],
)
def test_tampering_is_detected_with_a_clear_message(tamper, message: str) -> None:
    note = tamper(FIXED_NOTE)
    assert note != FIXED_NOTE
    with pytest.raises(CheckpointError, match=message):
        verify_checkpoint(note, ORIGIN, KEY.public_key())


def test_a_note_signed_by_another_key_fails() -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    note = signed(key=other)
    with pytest.raises(
        CheckpointError, match=r"unknown key: the note has no signature by trust-portal.example/evidence-log\+6900d227"
    ):
        verify_checkpoint(note, ORIGIN, KEY.public_key())
    with pytest.raises(CheckpointError, match="unknown key"):
        verify_checkpoint(FIXED_NOTE, ORIGIN, other.public_key())
    # Asking for the right key under another name fails as well.
    with pytest.raises(CheckpointError, match="unknown key"):
        verify_checkpoint(FIXED_NOTE, "trust-portal.example/evidence-log-v2", KEY.public_key())


def test_a_forged_signature_under_the_right_key_id_fails() -> None:
    """Someone copies our key name and key ID but signs with their own key."""
    forger = Ed25519PrivateKey.from_private_bytes(bytes(32))
    body = checkpoint_body(ORIGIN, 9, bytes(32))
    blob = key_id(ORIGIN, KEY.public_key()) + forger.sign(body.encode())
    note = f"{body}\n{EM_DASH} {ORIGIN} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(CheckpointError, match=re.escape(f"bad signature by {ORIGIN}+6900d227")):
        verify_checkpoint(note, ORIGIN, KEY.public_key())


def test_other_signatures_are_ignored_but_kept() -> None:
    """A witness cosignature (an unknown key to us) does not disturb verification."""
    witness = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
    witness_line = sign_note(checkpoint_body(ORIGIN, 8, ROOT8), "witness.example/w1", witness).split("\n")[-2]
    cosigned = FIXED_NOTE + witness_line + "\n"
    checkpoint = verify_checkpoint(cosigned, ORIGIN, KEY.public_key())
    assert [s.key_name for s in checkpoint.signatures] == [ORIGIN, "witness.example/w1"]
    assert verify_checkpoint(cosigned, "witness.example/w1", witness.public_key()).size == 8
    # But a bad signature from the key we trust spoils the note even next to a good one.
    bad_line = FIXED_NOTE.split("\n")[4][:-6] + "AAAAA="
    with pytest.raises(CheckpointError, match="bad signature"):
        verify_checkpoint(FIXED_NOTE + bad_line + "\n", ORIGIN, KEY.public_key())


def test_origin_can_be_pinned() -> None:
    assert verify_checkpoint(FIXED_NOTE, ORIGIN, KEY.public_key(), origin=ORIGIN).origin == ORIGIN
    with pytest.raises(CheckpointError, match="origin mismatch"):
        verify_checkpoint(FIXED_NOTE, ORIGIN, KEY.public_key(), origin="trust-portal.example/other-log")


def test_extension_lines_are_signed_and_returned() -> None:
    body = checkpoint_body(ORIGIN, 8, ROOT8) + "Timestamp: 1700000000\n"
    note = sign_checkpoint(body, ORIGIN, KEY)
    checkpoint = verify_checkpoint(note, ORIGIN, KEY.public_key())
    assert checkpoint.extensions == ("Timestamp: 1700000000",)
    assert checkpoint.body == body
    with pytest.raises(CheckpointError, match="bad signature"):
        verify_checkpoint(note.replace("1700000000", "1700000001"), ORIGIN, KEY.public_key())


def test_too_many_signatures() -> None:
    line = FIXED_NOTE.split("\n")[4] + "\n"
    assert verify_checkpoint(FIXED_NOTE + line * (MAX_SIGNATURES - 1), ORIGIN, KEY.public_key()).size == 8
    with pytest.raises(CheckpointError, match="more than 100 signature lines"):
        parse_checkpoint(FIXED_NOTE + line * MAX_SIGNATURES)


def test_malformed_inputs() -> None:
    with pytest.raises(CheckpointError, match="not valid UTF-8"):
        parse_checkpoint(FIXED_NOTE.encode()[:-20] + b"\xff" + FIXED_NOTE.encode()[-19:])
    with pytest.raises(CheckpointError, match="must be str or bytes"):
        parse_checkpoint(None)  # type: ignore[arg-type]
    with pytest.raises(CheckpointError, match="at least 3 lines"):
        parse_checkpoint(sign_note("just one line\n", ORIGIN, KEY))
    with pytest.raises(CheckpointError, match="empty extension line"):
        parse_checkpoint(sign_note(checkpoint_body(ORIGIN, 1, ROOT8) + "\nx\n", ORIGIN, KEY))
    text, signatures = parse_note(GO_NOTE)
    assert text == GO_TEXT and signatures[0].key_id.hex() == "c74f20a3"


@pytest.mark.parametrize(
    ("origin", "size", "root", "message"),
    [
        ("", 1, ROOT8, "origin"),
        ("a\nb", 1, ROOT8, "origin"),
        ("a\tb", 1, ROOT8, "control character"),
        (ORIGIN, -1, ROOT8, "tree size"),
        (ORIGIN, True, ROOT8, "tree size"),
        (ORIGIN, 2**64, ROOT8, "tree size"),
        (ORIGIN, 1, ROOT8[:31], "root hash"),
        (ORIGIN, 1, ROOT8.hex(), "root hash"),
    ],
)
def test_checkpoint_body_rejects_bad_fields(origin, size, root, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        checkpoint_body(origin, size, root)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\there", "nbsp\u00a0here"], ids=repr)
def test_signing_refuses_an_invalid_key_name(name: str) -> None:
    with pytest.raises(CheckpointError, match="invalid key name"):
        sign_checkpoint(checkpoint_body(ORIGIN, 8, ROOT8), name, KEY)


def test_signing_checks_its_inputs() -> None:
    body = checkpoint_body(ORIGIN, 8, ROOT8)
    with pytest.raises(CheckpointError, match="ending in a newline"):
        sign_note("no newline", ORIGIN, KEY)
    with pytest.raises(CheckpointError, match="bad format"):
        sign_checkpoint("not a checkpoint\n", ORIGIN, KEY)
    with pytest.raises(CheckpointError, match="bad format"):
        sign_checkpoint(body + "\n", ORIGIN, KEY)  # a trailing blank line would end the text early


# --- keys --------------------------------------------------------------------------------------------


def test_pem_round_trip() -> None:
    pem = public_key_pem(KEY.public_key())
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    loaded = public_key_from_pem(pem)
    assert isinstance(loaded, Ed25519PublicKey)
    assert loaded.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ) == KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert verify_checkpoint(FIXED_NOTE, ORIGIN, loaded).size == 8


def test_pem_errors() -> None:
    with pytest.raises(CheckpointError, match="not a PEM public key"):
        public_key_from_pem(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(CheckpointError, match="expected Ed25519"):
        public_key_from_pem(ec_pem)


def test_verifier_key_errors() -> None:
    with pytest.raises(CheckpointError, match="does not match"):
        parse_verifier_key(GO_VERIFIER_KEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(CheckpointError, match="only Ed25519"):
        parse_verifier_key("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    with pytest.raises(CheckpointError, match="not base64"):
        parse_verifier_key("PeterNeumann+c74f20a3+not*base64")


def test_checkpoint_dataclass() -> None:
    checkpoint = parse_checkpoint(FIXED_NOTE)
    assert isinstance(checkpoint, Checkpoint)
    assert checkpoint.body + "\n" + "".join(s.line for s in checkpoint.signatures) == FIXED_NOTE
