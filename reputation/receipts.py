"""Signed receipts: a DSSE envelope over a decision or a score, by the log key, valid until it expires.

``payloadType`` ``application/vnd.trust-portal.decision+json`` (or ``…score+json``); ``payload`` the RFC 8785
bytes of the response without its ``receipt``, plus ``issued_at``, ``expires_at`` (``RECEIPT_SECONDS``, default 15 minutes)
and the latest signed checkpoint of the log (``checkpoint``: the note; ``log``: origin, key name and key id
as on ``/api/v1/log/``). ``trust-verify receipt FILE --key log-key.pem`` checks it offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings

from evidence.canonical import canonical_bytes
from transparency import log as tlog
from transparency.models import LogCheckpoint, LogKey
from trustcore import dsse
from trustcore.canonical import iso
from trustcore.verify import RECEIPT_TYPES


@dataclass(frozen=True)
class Checkpoint:
    """What a receipt carries of the log's latest signed checkpoint."""

    note: str
    key_name: str


# The latest checkpoint as a subquery (``note``, ``key_name``), for a hot path that reads it with its own data
# (reputation.policies: the decision's one read) rather than in a query of its own.
LATEST_CHECKPOINT_SQL = (
    f"SELECT c.note AS note, k.name AS key_name FROM {LogCheckpoint._meta.db_table} c "  # noqa: S608  (model names)
    f"JOIN {LogKey._meta.db_table} k ON k.id = c.key_id ORDER BY c.size DESC LIMIT 1"
)


def checkpoint_latest() -> Checkpoint | None:
    found = tlog.checkpoint_latest()
    return Checkpoint(note=found.note, key_name=found.key.name) if found else None


def receipt_seconds() -> int:
    return int(getattr(settings, "RECEIPT_SECONDS", 900))


def receipt_sign(
    kind: str, body: dict[str, Any], *, now: datetime, checkpoint: Checkpoint | Literal["latest"] | None = "latest"
) -> tuple[dict[str, Any], datetime]:
    """The envelope over ``body`` (JSON-ready: strings, numbers, lists, objects) and when it expires.

    ``checkpoint``: the log's latest as the caller read it with its own data (None: none is signed yet); by
    default it is read here."""
    expires = now + timedelta(seconds=receipt_seconds())
    if checkpoint == "latest":
        checkpoint = checkpoint_latest()
    key = tlog.signing_key()
    payload = {
        **body,
        "issued_at": iso(now),
        "expires_at": iso(expires),
        "checkpoint": checkpoint.note if checkpoint else None,
        "log": {"origin": key.name, "key_name": checkpoint.key_name if checkpoint else key.name, "key_id": key.key_id},
    }
    # RFC 8785 bytes by the ingest's fast encoder (orjson where it prints what JCS would, else trustcore.jcs).
    return dsse.sign(canonical_bytes(payload), key.private, payload_type=RECEIPT_TYPES[kind]), expires
