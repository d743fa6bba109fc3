"""The transparency log in the database (transparency.log): dense leaves, signed checkpoints consistent with
the last, key rotation, concurrent appends."""

from __future__ import annotations

import io
import json
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import connection

from evidence import services
from evidence.models import EvidenceRecord
from transparency import log as tlog
from transparency.models import LogCheckpoint, LogLeaf, LogState
from trustcore import merkle, notes

pytestmark = pytest.mark.django_db


def leaf_hashes() -> list[bytes]:
    return [bytes(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]


def test_ingest_appends_dense_leaves_and_the_root_matches_a_recomputation(agent, vendor, wire) -> None:
    services.evidence_submit(agent=agent, items=[wire(successes=i) for i in range(7)], user=vendor)
    services.evidence_submit(agent=agent, items=[wire(successes=i) for i in range(5)], user=vendor)
    indexes = list(LogLeaf.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(12))
    assert LogState.objects.get().size == 12
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
    assert sorted(EvidenceRecord.objects.values_list("leaf_index", flat=True)) == list(range(400))
    assert bytes(tlog.checkpoint_sign().root_hash) == merkle.root_from_leaf_hashes(leaf_hashes())
