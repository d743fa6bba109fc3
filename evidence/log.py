"""The transparency log: appending leaves, signing checkpoints, serving proofs.

Every accepted evidence record becomes a leaf (RFC 9162: leaf hash = SHA-256(0x00 ‖ canonical bytes)).
``log_append`` runs at the end of the ingest transaction: it locks the single ``LogState`` row, so leaf
indexes are assigned densely and uniquely even under concurrent ingest, stores the leaves and every
perfect subtree the new leaves complete (``LogNode``), and moves the size. Proofs then read O(log n)
stored nodes (``evidence.merkle``), never rehash the leaves.

Checkpoints are signed notes (C2SP tlog-checkpoint) with the deployment's Ed25519 key; the code refuses
to sign one that is not consistent with the previous checkpoint. The key comes from ``LOG_SIGNING_KEY``
(a PEM), else from the file ``LOG_SIGNING_KEY_FILE``; the embedded default generates that file once.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evidence import checkpoint as notes
from evidence import merkle
from evidence.models import LogCheckpoint, LogKey, LogLeaf, LogNode, LogState
from trust_portal.db import copy_rows
from trust_portal.errors import Conflict, DomainError, NotFound


class InconsistentLog(Conflict):
    code = "log_inconsistent"
    title = "The log is not consistent with its last checkpoint"


class DbReader:
    """``merkle.NodeReader`` over LogNode rows, caching what one operation reads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, positions: list[tuple[int, int]]) -> None:
        from django.db.models import Q

        wanted = [(level, index) for level, index in positions if (level, index) not in self._cache]
        leaves = [index for level, index in wanted if level == 0]
        if leaves:
            self._cache.update(
                {
                    (0, i): bytes(h)
                    for i, h in LogLeaf.objects.filter(index__in=leaves).values_list("index", "leaf_hash")
                }
            )
        condition = Q()
        for level, index in wanted:
            if level > 0:
                condition |= Q(level=level, index=index)
        if condition:
            self._cache.update(
                {
                    (lv, ix): bytes(h)
                    for lv, ix, h in LogNode.objects.filter(condition).values_list("level", "index", "hash")
                }
            )

    def get(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            if level == 0:
                value = LogLeaf.objects.filter(index=index).values_list("leaf_hash", flat=True).first()
            else:
                value = LogNode.objects.filter(level=level, index=index).values_list("hash", flat=True).first()
            if value is None:
                raise NotFound(f"log node {level}/{index} is missing")
            self._cache[key] = bytes(value)
        return self._cache[key]


# --- appending ----------------------------------------------------------------------------------------------


def log_append(*, entries: list[tuple[int | None, bytes]]) -> list[int]:
    """Append (record id, canonical bytes) leaves inside the caller's transaction; returns their indexes."""
    if not entries:
        return []
    state = _locked_state()  # serialises appends: dense, unique indexes
    start = state.size
    leaf_hashes = [merkle.leaf_hash(data) for _, data in entries]
    reader = DbReader(start)
    reader.prefetch(merkle.perfect_nodes(0, start) if start else [])  # the right edge appends build on: one query
    nodes = merkle.appended_nodes(start, leaf_hashes, reader)
    now = timezone.now()
    copy_rows(
        LogLeaf._meta.db_table,
        ("index", "record_id", "data", "leaf_hash", "appended_at"),
        (
            (start + i, record_id, data.decode("utf-8"), leaf_hashes[i], now)
            for i, (record_id, data) in enumerate(entries)
        ),
    )
    # Level 0 is the leaf hash itself (kept on LogLeaf); only complete subtrees above it are stored here.
    copy_rows(LogNode._meta.db_table, ("level", "index", "hash"), ((lv, ix, h) for lv, ix, h in nodes if lv > 0))
    LogState.objects.filter(pk=1).update(size=start + len(entries))
    return list(range(start, start + len(entries)))


def log_size() -> int:
    return LogState.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def _locked_state() -> LogState:
    """The log's one state row, locked for this transaction (created on first use, e.g. after a test flush)."""
    state = LogState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        LogState.objects.get_or_create(pk=1, defaults={"size": 0})
        state = LogState.objects.select_for_update().get(pk=1)
    return state


# --- keys and checkpoints -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    name: str
    private: Ed25519PrivateKey

    @property
    def public_pem(self) -> str:
        return notes.public_key_pem(self.private.public_key()).decode()

    @property
    def key_id(self) -> str:
        return notes.key_id(self.name, self.private.public_key()).hex()


@cache
def signing_key() -> SigningKey:
    name = getattr(settings, "LOG_ORIGIN", "trust-portal.local/log")
    pem = getattr(settings, "LOG_SIGNING_KEY", "")
    if not pem:
        path = Path(settings.LOG_SIGNING_KEY_FILE)
        if not path.exists():
            generated = Ed25519PrivateKey.generate()
            path.write_bytes(
                generated.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            path.chmod(0o600)
        pem = path.read_text()
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise DomainError("LOG_SIGNING_KEY is not an Ed25519 private key.")
    return SigningKey(name=name, private=key)


def log_key_row() -> LogKey:
    key = signing_key()
    row, _ = LogKey.objects.get_or_create(name=key.name, key_id=key.key_id, defaults={"public_pem": key.public_pem})
    return row


@transaction.atomic
def checkpoint_sign() -> LogCheckpoint:
    """Sign a checkpoint of the current tree, unless one exists at this size; refuse an inconsistent one."""
    state = _locked_state()
    existing = LogCheckpoint.objects.filter(size=state.size).select_related("key").first()
    if existing is not None:
        return existing
    reader = DbReader(state.size)
    root = merkle.tree_root(reader, state.size) if state.size else merkle.EMPTY_ROOT
    previous = LogCheckpoint.objects.filter(size__lt=state.size).order_by("-size").first()
    if previous is not None:
        old_root = bytes(previous.root_hash)
        recomputed = merkle.tree_root(reader, previous.size) if previous.size else merkle.EMPTY_ROOT
        proof = merkle.consistency_proof(reader, previous.size, state.size) if previous.size else []
        if recomputed != old_root or not merkle.verify_consistency(previous.size, state.size, old_root, root, proof):
            raise InconsistentLog(
                f"The tree at size {state.size} does not extend checkpoint {previous.size}; refusing to sign."
            )
    key = signing_key()
    note = notes.sign_checkpoint(notes.checkpoint_body(key.name, state.size, root), key.name, key.private)
    return LogCheckpoint.objects.create(size=state.size, root_hash=root, note=note, key=log_key_row())


def checkpoint_covering(index: int) -> LogCheckpoint:
    """The latest checkpoint that includes leaf ``index``, signing a new one if none does yet."""
    latest = LogCheckpoint.objects.order_by("-size").select_related("key").first()
    if latest is None or latest.size <= index:
        latest = checkpoint_sign()
    return latest


# --- proofs ----------------------------------------------------------------------------------------------------


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def inclusion(*, index: int, checkpoint: LogCheckpoint) -> dict[str, Any]:
    if index >= checkpoint.size:
        raise DomainError(f"Leaf {index} is not in the tree of size {checkpoint.size}.", field="size")
    leaf = LogLeaf.objects.get(index=index)
    proof = merkle.inclusion_proof(DbReader(checkpoint.size), index, checkpoint.size)
    return {
        "leaf_index": index,
        "tree_size": checkpoint.size,
        "leaf_hash": b64(bytes(leaf.leaf_hash)),
        "proof": [b64(p) for p in proof],
        "checkpoint": checkpoint.note,
    }


def consistency(*, old_size: int, new_size: int) -> dict[str, Any]:
    size = log_size()
    if not 0 <= old_size <= new_size <= size:
        raise DomainError(f"Expected 0 ≤ from ≤ to ≤ {size} (the log's size).", field="from")
    proof = merkle.consistency_proof(DbReader(new_size), old_size, new_size) if old_size else []
    return {"from": old_size, "to": new_size, "proof": [b64(p) for p in proof]}


def verify_stored_log() -> list[str]:
    """Re-verify every checkpoint against the stored leaves and against its predecessor; returns problems."""
    problems: list[str] = []
    leaves = [bytes(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]
    for index, data in enumerate(LogLeaf.objects.order_by("index").values_list("data", flat=True).iterator()):
        if merkle.leaf_hash(data.encode()) != leaves[index]:
            problems.append(f"leaf {index}: its hash does not match its data")
    previous: LogCheckpoint | None = None
    for cp in LogCheckpoint.objects.order_by("size").select_related("key"):
        root = merkle.root_from_leaf_hashes(leaves[: cp.size]) if cp.size else merkle.EMPTY_ROOT
        if root != bytes(cp.root_hash):
            problems.append(f"checkpoint {cp.size}: root does not match the leaves")
        try:
            notes.verify_checkpoint(cp.note, cp.key.name, notes.public_key_from_pem(cp.key.public_pem.encode()))
        except notes.CheckpointError as error:
            problems.append(f"checkpoint {cp.size}: {error}")
        if previous is not None and previous.size:
            proof = merkle.consistency_proof(merkle_memory(leaves, cp.size), previous.size, cp.size)
            if not merkle.verify_consistency(
                previous.size, cp.size, bytes(previous.root_hash), bytes(cp.root_hash), proof
            ):
                problems.append(f"checkpoint {cp.size} is not consistent with checkpoint {previous.size}")
        previous = cp
    return problems


def merkle_memory(leaf_hashes: list[bytes], size: int) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    tree.extend_leaf_hashes(leaf_hashes[:size])
    return tree
