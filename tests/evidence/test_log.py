"""The transparency log in the database: dense leaves, signed consistent checkpoints, proofs, bundles, the verifier."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import connection

from evidence import services
from transparency import log as tlog
from transparency.models import LogCheckpoint, LogLeaf, LogState
from trustcore import merkle, notes
from trustcore.verify import BundleInvalid, verify_bundle
from verdicts.bundle import bundle_build

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def leaf_hashes() -> list[bytes]:
    return [bytes(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]


def test_ingest_appends_dense_leaves_and_the_root_matches_a_recomputation(agent, vendor, wire) -> None:
    services.evidence_submit(agent=agent, items=[wire(successes=i) for i in range(7)], user=vendor)
    services.evidence_submit(agent=agent, items=[wire(successes=i) for i in range(5)], user=vendor)
    indexes = list(LogLeaf.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(12))
    assert LogState.objects.get().size == 12
    from evidence.models import EvidenceRecord

    hashes = leaf_hashes()
    for record in EvidenceRecord.objects.all():
        assert merkle.leaf_hash(record.canonical.encode()) == hashes[record.leaf_index]
        assert json.loads(record.canonical)["agent"] == agent.slug
    checkpoint = tlog.checkpoint_sign()
    assert bytes(checkpoint.root_hash) == merkle.root_from_leaf_hashes(leaf_hashes())
    assert merkle.tree_root(tlog.DbReader(12), 12) == bytes(checkpoint.root_hash)


def test_checkpoint_is_a_signed_note_verifiable_with_the_public_key(agent, vendor, wire) -> None:
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    cp = tlog.checkpoint_sign()
    key = notes.public_key_from_pem(tlog.signing_key().public_pem.encode())
    parsed = notes.verify_checkpoint(cp.note, tlog.signing_key().name, key)
    assert (parsed.size, parsed.root) == (1, bytes(cp.root_hash))
    assert tlog.checkpoint_sign().pk == cp.pk  # same size: no new checkpoint


def test_refuses_to_sign_a_checkpoint_inconsistent_with_the_last(agent, vendor, wire) -> None:
    services.evidence_submit(agent=agent, items=[wire(), wire()], user=vendor)
    # A checkpoint the stored tree does not extend (as if history had been rewritten since it was signed).
    LogCheckpoint.objects.create(size=2, root_hash=b"\x00" * 32, note="planted", key=tlog.log_key_row())
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    with pytest.raises(tlog.InconsistentLog, match="does not extend checkpoint 2"):
        tlog.checkpoint_sign()
    assert not LogCheckpoint.objects.filter(size=3).exists()
    assert "checkpoint 2: root does not match the leaves" in tlog.verify_stored_log()


def test_key_rotation_keeps_old_checkpoints_verifiable(agent, vendor, wire, settings) -> None:
    services.evidence_submit(agent=agent, items=[wire()], user=vendor)
    first = tlog.checkpoint_sign()
    new_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.LOG_SIGNING_KEY = new_key.decode()
    tlog.signing_key.cache_clear()
    try:
        services.evidence_submit(agent=agent, items=[wire()], user=vendor)
        second = tlog.checkpoint_sign()
        assert second.key_id != first.key_id
        assert tlog.verify_stored_log() == []
        out = io.StringIO()
        call_command("verify_log", stdout=out)
        assert "OK: 2 leaves, 2 checkpoints" in out.getvalue()
    finally:
        tlog.signing_key.cache_clear()


def test_proof_api(agent, vendor, wire, api_client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(successes=i) for i in range(9)], user=vendor)
    pending = api_client.get(f"/api/v1/evidence/{stored[4].id}/proof/")
    assert pending.status_code == 202  # reads never sign: the task queued on commit does
    assert pending.json() == {"status": "pending", "leaf_index": 4, "log_size": 9, "covered_from_size": 5}
    tlog.checkpoint_sign()
    body = api_client.get(f"/api/v1/evidence/{stored[4].id}/proof/").json()
    root = notes.parse_checkpoint(body["checkpoint"]).root
    proof = [__import__("base64").b64decode(p) for p in body["proof"]]
    assert merkle.verify_inclusion(
        merkle.leaf_hash(body["data"].encode()), body["leaf_index"], body["tree_size"], proof, root
    )
    services.evidence_submit(agent=agent, items=[wire()] * 4, user=vendor)
    later = tlog.checkpoint_sign()
    consistency = api_client.get(f"/api/v1/log/consistency/?from={body['tree_size']}&to={later.size}").json()
    assert merkle.verify_consistency(
        body["tree_size"],
        later.size,
        root,
        bytes(later.root_hash),
        [__import__("base64").b64decode(p) for p in consistency["proof"]],
    )
    assert api_client.get(f"/api/v1/log/checkpoints/{later.size}/").json()["size"] == later.size
    assert api_client.get("/api/v1/log/checkpoints/999/").status_code == 404
    assert api_client.get("/api/v1/log/consistency/?from=5&to=99999").status_code == 400
    assert api_client.get("/api/v1/log/consistency/?from=x&to=3").status_code == 400
    assert api_client.get("/api/v1/log/key.pem").content.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert api_client.get("/api/v1/log/").json()["size"] == 13


def test_restricted_record_proof_is_hidden(agent, vendor, wire, api_client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(visibility="restricted")], user=vendor)
    assert api_client.get(f"/api/v1/evidence/{stored[0].id}/proof/").status_code == 404


# --- bundles and the offline verifier --------------------------------------------------------------------------


@pytest.fixture
def bundle(published_pact, agent, vendor, wire) -> dict:
    services.evidence_submit(agent=agent, items=[wire(successes=190 + i, trials=200) for i in range(3)], user=vendor)
    services.evidence_submit(
        agent=agent,
        items=[wire(successes=None, trials=None, metric="latency_ms", values=[900.0, 1200.0, 1450.0] * 200)],
        user=vendor,
    )
    tlog.checkpoint_sign()  # what the task queued by the ingest does
    return bundle_build(user=vendor, agent=agent)


@pytest.fixture
def key_pem() -> bytes:
    return tlog.signing_key().public_pem.encode()


def test_bundle_verifies(bundle, key_pem) -> None:
    summary = verify_bundle(bundle, key_pem)
    assert summary == {"checkpoint_size": 4, "origin": tlog.signing_key().name, "records": 4, "verdicts": 3}
    statuses = {v["clause_id"]: v["status"] for v in bundle["pacts"][0]["verdicts"]}
    assert statuses == {"resolution-rate": "met", "latency-p95": "met", "policy-accuracy": "stale"}


def tampered(bundle: dict, change) -> dict:
    copy_ = copy.deepcopy(bundle)
    change(copy_)
    return copy_


def _change_value(b: dict) -> None:
    record = json.loads(b["records"][0]["data"])
    record["successes"] = 1
    b["records"][0]["data"] = json.dumps(record, separators=(",", ":"), sort_keys=True)


def _swap_signature(b: dict) -> None:
    body, signature = b["log"]["checkpoint"].split("\n\n")
    name, sig = signature.rsplit(" ", 1)
    raw = bytearray(__import__("base64").b64decode(sig))
    raw[-1] ^= 1
    b["log"]["checkpoint"] = body + "\n\n" + name + " " + __import__("base64").b64encode(bytes(raw)).decode() + "\n"


def _foreign_checkpoint(b: dict) -> None:
    other = Ed25519PrivateKey.generate()
    cp = notes.parse_checkpoint(b["log"]["checkpoint"])
    b["log"]["checkpoint"] = notes.sign_checkpoint(
        notes.checkpoint_body(cp.origin, cp.size, cp.root), b["log"]["key_name"], other
    )


def _edit_verdict(b: dict) -> None:
    b["pacts"][0]["verdicts"][1]["status"] = "breached"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_change_value, "inclusion proof does not verify"),
        (lambda b: b["records"].pop(0), "does not match the records"),
        (lambda b: b["records"].reverse(), "not in strictly increasing leaf order"),
        (_swap_signature, "checkpoint: bad signature"),
        (_foreign_checkpoint, "checkpoint: unknown key"),
        (_edit_verdict, "verdict for clause latency-p95 does not match"),
        (
            lambda b: b["pacts"][0].update(document=b["pacts"][0]["document"].replace("0.92", "0.5")),
            "does not match its content hash",
        ),
        (
            lambda b: b["records"][1].update(inclusion_proof=b["records"][0]["inclusion_proof"]),
            "inclusion proof does not verify",
        ),
    ],
    ids=[
        "changed-value",
        "dropped-record",
        "reordered",
        "swapped-signature",
        "foreign-checkpoint",
        "edited-verdict",
        "edited-pact",
        "swapped-proof",
    ],
)
def test_every_tampering_is_caught(bundle, key_pem, change, message) -> None:
    with pytest.raises(BundleInvalid, match=message):
        verify_bundle(tampered(bundle, change), key_pem)


def test_a_bundle_for_another_key_fails(bundle) -> None:
    other = notes.public_key_pem(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(BundleInvalid, match="checkpoint"):
        verify_bundle(bundle, other)


BLOCKER = """
import sys, runpy
ALLOWED = set(sys.stdlib_module_names) | {"cryptography", "cffi", "_cffi_backend", "trustcore"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in ALLOWED:
            raise ImportError(f"the verifier may not import {name}")
        return None
sys.meta_path.insert(0, Block())
sys.argv = ["trustcore.verify", *sys.argv[1:]]
runpy.run_module("trustcore.verify", run_name="__main__")
"""


def run_verifier(tmp_path: Path, bundle: dict, key: bytes) -> subprocess.CompletedProcess[str]:
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "key.pem").write_bytes(key)
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, str(tmp_path / "bundle.json"), "--key", str(tmp_path / "key.pem")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_offline_verifier_needs_only_the_standard_library_and_cryptography(bundle, key_pem, tmp_path) -> None:
    result = run_verifier(tmp_path, bundle, key_pem)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: checkpoint of")
    bad = run_verifier(tmp_path, tampered(bundle, _edit_verdict), key_pem)
    assert bad.returncode == 1
    assert "FAILED: pact" in bad.stderr and "latency-p95" in bad.stderr


def test_bundle_api_and_concurrent_ingest_gives_dense_indexes(bundle, api_client) -> None:
    response = api_client.get("/api/v1/agents/refund-bot/bundle/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["format"] == "trust-portal-bundle/v1"


@pytest.mark.django_db(transaction=True)
def test_concurrent_ingest_from_threads_gives_dense_unique_leaves(postgres, agent, vendor, wire) -> None:
    errors: list[BaseException] = []

    def ingest(offset: int) -> None:
        try:
            for i in range(5):
                services.evidence_submit(agent=agent, items=[wire(successes=offset + i)] * 20, user=vendor)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest, args=(n * 10,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    indexes = list(LogLeaf.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(400))
    from evidence.models import EvidenceRecord

    assert sorted(EvidenceRecord.objects.values_list("leaf_index", flat=True)) == list(range(400))
    assert bytes(tlog.checkpoint_sign().root_hash) == merkle.root_from_leaf_hashes(leaf_hashes())


def test_log_page_and_proof_view(agent, vendor, wire, client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(), wire()], user=vendor)
    tlog.checkpoint_sign()
    page = client.get("/log/").content.decode()
    assert tlog.signing_key().key_id in page and "trust-verify.pyz" in page
    proof = client.get(f"/evidence/{stored[1].id}/proof/")
    assert proof.status_code == 200
    assert 'data-testid="leaf-index">1<' in proof.content.decode()
    assert "inclusion proof" in client.get(f"/evidence/{stored[1].id}/").content.decode()
    assert "Download evidence bundle" in client.get("/agents/refund-bot/evidence/").content.decode()


def test_bundle_leaves_out_restricted_records_for_those_who_may_not_see_them(
    published_pact, agent, vendor, buyer, wire
) -> None:
    services.evidence_submit(agent=agent, items=[wire(), wire(visibility="restricted", successes=1)], user=vendor)
    tlog.checkpoint_sign()
    for_vendor = bundle_build(user=vendor, agent=agent)
    for_buyer = bundle_build(user=buyer, agent=agent)
    assert len(for_vendor["records"]) == 2 and for_vendor["scope"].startswith("all records")
    assert len(for_buyer["records"]) == 1 and for_buyer["scope"] == "public records only"
    assert all(json.loads(r["data"])["visibility"] == "public" for r in for_buyer["records"])
    key = tlog.signing_key().public_pem.encode()
    assert verify_bundle(for_buyer, key)["records"] == 1  # its verdicts are recomputable from what it holds


def test_why_view_hides_restricted_evidence_from_outsiders(published_pact, agent, vendor, buyer, wire, client) -> None:
    stored = services.evidence_submit(agent=agent, items=[wire(visibility="restricted")], user=vendor)
    client.force_login(buyer)
    html = client.get(f"/agents/refund-bot/clauses/{published_pact.pk}/resolution-rate/").content.decode()
    assert f"#{stored[0].id}<" not in html
    client.force_login(vendor)
    assert (
        f"#{stored[0].id}<"
        in client.get(f"/agents/refund-bot/clauses/{published_pact.pk}/resolution-rate/").content.decode()
    )


def test_the_log_tables_refuse_updates(agent, vendor, wire) -> None:
    from django.db import IntegrityError, transaction

    services.evidence_submit(agent=agent, items=[wire()] * 20, user=vendor)
    tlog.checkpoint_sign()
    for sql in (
        "UPDATE evidence_logleaf SET leaf_hash = leaf_hash",
        "UPDATE evidence_lognode SET hash = hash",
        "UPDATE evidence_logcheckpoint SET note = 'x'",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
