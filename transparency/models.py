"""The transparency log's tables: one size row, leaf hashes, stored subtrees, keys and signed checkpoints.

Append-only (database triggers refuse updates and deletes of leaves, nodes and checkpoints). The bytes a
leaf commits to live with whatever was logged (an evidence record's ``canonical``), so the log stays
ignorant of what it logs. The tables keep the names they were created with under ``evidence`` (the
models moved here without copying a row).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LogState(models.Model):
    """The one row holding the log's size; appends lock it, so leaf indexes are dense and unique."""

    size = models.BigIntegerField(default=0)

    class Meta:
        db_table = "evidence_logstate"

    def __str__(self) -> str:
        return f"log of {self.size} leaves"


class LogLeaf(models.Model):
    """A leaf hash of the transparency log, by index. The bytes it commits to live with what was logged
    (``EvidenceRecord.canonical`` and ``.leaf_index``), so an append writes 40 bytes a leaf here."""

    index = models.BigIntegerField(primary_key=True)
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        db_table = "evidence_logleaf"

    def __str__(self) -> str:
        return f"leaf {self.index}"


class LogNode(models.Model):
    """The hash of a complete (perfect) subtree: level k, index i covers leaves [i·2^k, (i+1)·2^k).

    Written once when the subtree completes; any proof needs O(log n) of them.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        db_table = "evidence_lognode"
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="lognode_unique_position")]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class LogKey(models.Model):
    """A public key the log has signed checkpoints with (kept after rotation so old checkpoints verify)."""

    name = models.CharField(max_length=200)
    key_id = models.CharField(max_length=8, help_text="Hex of the signed-note key id.")
    public_pem = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "evidence_logkey"
        constraints = [models.UniqueConstraint(fields=["name", "key_id"], name="logkey_unique")]

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id}"


class LogCheckpoint(models.Model):
    """A signed checkpoint (C2SP tlog-checkpoint): origin, size, root hash, signature."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.BinaryField(max_length=32)
    note = models.TextField()
    key = models.ForeignKey(LogKey, on_delete=models.PROTECT, related_name="checkpoints")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "evidence_logcheckpoint"
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"checkpoint at size {self.size}"

    @property
    def root_hash_b64(self) -> str:
        import base64

        return base64.b64encode(bytes(self.root_hash)).decode()
