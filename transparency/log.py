"""The transparency log: appending leaves, signing checkpoints, serving proofs.

Every accepted evidence record becomes a leaf (RFC 9162: leaf hash = SHA-256(0x00 ‖ canonical bytes)).
In the ingest transaction, ``log_reserve`` locks the single ``LogState`` row and reserves the batch's leaf
indexes (dense and unique under concurrent ingest; the record rows carry their index and canonical
bytes), and ``log_store`` writes the leaf hashes and every subtree of 16+ leaves they complete
(``LogNode``). Proofs then read O(log n) stored hashes (``trustcore.merkle``), never rehash the log.

Checkpoints are signed notes (C2SP tlog-checkpoint) with the deployment's Ed25519 key; the code refuses
to sign one that is not consistent with the previous checkpoint. The key comes from ``LOG_SIGNING_KEY``
(a PEM), else from the file ``LOG_SIGNING_KEY_FILE``; the embedded default generates that file once.
"""

from __future__ import annotations

import base64
import functools
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from transparency import hooks
from transparency.models import LogCheckpoint, LogKey, LogLeaf, LogNode, LogState
from trust_portal.db import copy_rows
from trust_portal.errors import Conflict, DomainError, NotFound
from trustcore import merkle, notes


class InconsistentLog(Conflict):
    code = "log_inconsistent"
    title = "The log is not consistent with its last checkpoint"


STORED_LEVEL = 4  # subtrees of 16+ leaves are stored; smaller ones are folded from leaf hashes on demand


class DbReader:
    """``merkle.NodeReader`` over the log's tables, caching what one operation reads.

    Level 0 is LogLeaf; levels 1–3 are folded from at most 8 leaf hashes; level 4 and up are LogNode rows.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._cache: dict[tuple[int, int], bytes] = {}

    def prefetch(self, positions: list[tuple[int, int]]) -> None:
        from django.db.models import Q

        wanted = [(level, index) for level, index in positions if (level, index) not in self._cache]
        condition = Q()
        for level, index in wanted:
            if level >= STORED_LEVEL:
                condition |= Q(level=level, index=index)
        if condition:
            self._cache.update(
                {
                    (lv, ix): bytes(h)
                    for lv, ix, h in LogNode.objects.filter(condition).values_list("level", "index", "hash")
                }
            )
        for level, index in wanted:
            if level < STORED_LEVEL:
                self.get(level, index)

    def get(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            if level < STORED_LEVEL:
                first, width = index << level, 1 << level
                hashes = [
                    bytes(h)
                    for h in LogLeaf.objects.filter(index__gte=first, index__lt=first + width)
                    .order_by("index")
                    .values_list("leaf_hash", flat=True)
                ]
                if len(hashes) != width:
                    raise NotFound(f"log leaves under node {level}/{index} are missing")
                value: bytes | None = hashes[0] if level == 0 else merkle.root_from_leaf_hashes(hashes)
            else:
                found = LogNode.objects.filter(level=level, index=index).values_list("hash", flat=True).first()
                value = bytes(found) if found is not None else None
            if value is None:
                raise NotFound(f"log node {level}/{index} is missing")
            self._cache[key] = value
        return self._cache[key]


# --- appending ----------------------------------------------------------------------------------------------


def log_reserve(count: int) -> int:
    """Reserve ``count`` leaf indexes; returns the first. The state row stays locked until the transaction
    ends, so indexes are dense and unique and appends happen in index order."""
    state = _locked_state()
    LogState.objects.filter(pk=1).update(size=state.size + count)
    return state.size


def log_store(*, start: int, leaf_hashes: list[bytes]) -> None:
    """Store the reserved leaves' hashes and every stored-level subtree they complete (same transaction)."""
    reader = DbReader(start)
    reader.prefetch(merkle.perfect_nodes(0, start) if start else [])  # the right edge appends build on
    nodes = merkle.appended_nodes(start, leaf_hashes, reader)
    copy_rows(LogLeaf._meta.db_table, ("index", "leaf_hash"), ((start + i, h) for i, h in enumerate(leaf_hashes)))
    copy_rows(
        LogNode._meta.db_table, ("level", "index", "hash"), ((lv, ix, h) for lv, ix, h in nodes if lv >= STORED_LEVEL)
    )


def log_append(datas: list[bytes]) -> int:
    """Append leaves for these canonical bytes (call inside the writer's transaction; the caller keeps the
    bytes with what it logged); returns the first index. A checkpoint is signed soon after the commit."""
    start = log_reserve(len(datas))
    log_store(start=start, leaf_hashes=[merkle.leaf_hash(data) for data in datas])
    checkpoint_soon()
    return start


CHECKPOINT_PENDING = "transparency:checkpoint-pending"


def checkpoint_soon() -> None:
    """Queue one checkpoint signing for after this transaction commits; a burst of appends queues one task.

    The flag lives in the shared cache for a few seconds: appends while a signing is already queued add
    nothing, and the task clears the flag before it reads the tree, so an append that lands while it runs
    queues the next one. If the transaction rolls back, the flag expires and the beat schedule signs anyway.
    """
    from transparency.tasks import sign_checkpoint

    if shared_cache.add(CHECKPOINT_PENDING, 1, timeout=settings.CHECKPOINT_COALESCE_SECONDS):
        sign_checkpoint.delay_on_commit()


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

    @functools.cached_property  # a hash of the public key: asked for by every receipt
    def key_id(self) -> str:
        return notes.key_id(self.name, self.private.public_key()).hex()


@cache
def signing_key() -> SigningKey:
    name = getattr(settings, "LOG_ORIGIN", "trust-portal.local/log")
    pem = getattr(settings, "LOG_SIGNING_KEY", "")
    if not pem:
        path = Path(settings.LOG_SIGNING_KEY_FILE)
        if not path.exists():
            generated = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            try:  # exclusive create: two processes starting at once end up with one key, not two
                with open(path, "xb", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
                    handle.write(generated)
            except FileExistsError:
                pass
        pem = path.read_text()
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"LOG_SIGNING_KEY: not a PEM private key without a password ({error}).") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("LOG_SIGNING_KEY: not an Ed25519 private key.")
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


def checkpoint_covering(index: int) -> LogCheckpoint | None:
    """The latest checkpoint that includes leaf ``index``; None while the next one is not signed yet
    (reads never sign: the task queued by the append does, seconds later)."""
    latest = checkpoint_latest()
    return latest if latest is not None and latest.size > index else None


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
    for source in hooks.logged_data:
        for index, data in source():
            if index is None or index >= len(leaves) or merkle.leaf_hash(data.encode()) != leaves[index]:
                problems.append(f"leaf {index}: its hash does not match the logged data's canonical bytes")
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


def checkpoint_latest() -> LogCheckpoint | None:
    """The newest signed checkpoint (None before the first is signed)."""
    return LogCheckpoint.objects.select_related("key").order_by("-size").first()


def checkpoint_at(size: int) -> LogCheckpoint:
    found = LogCheckpoint.objects.select_related("key").filter(size=size).first()
    if found is None:
        raise NotFound(f"No checkpoint at size {size}.")
    return found
