"""Signed receipts: a DSSE envelope over a decision or a score, by the log key, valid until it expires.

``payloadType`` ``application/vnd.trust-portal.decision+json`` (or ``…score+json``); ``payload`` the RFC 8785
bytes of the response without its ``receipt``, plus ``issued_at``, ``expires_at`` (``RECEIPT_SECONDS``, default 15 minutes)
and the latest signed checkpoint of the log (``checkpoint``: the note; ``log``: origin, key name and key id
as on ``/api/v1/log/``). ``trust-verify receipt FILE --key log-key.pem`` checks it offline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from transparency import log as tlog
from trustcore import dsse, jcs
from trustcore.canonical import iso
from trustcore.verify import RECEIPT_TYPES


def receipt_seconds() -> int:
    return int(getattr(settings, "RECEIPT_SECONDS", 900))


def receipt_sign(kind: str, body: dict[str, Any], *, now: datetime) -> tuple[dict[str, Any], datetime]:
    """The envelope over ``body`` (JSON-ready: strings, numbers, lists, objects) and when it expires."""
    expires = now + timedelta(seconds=receipt_seconds())
    checkpoint = tlog.checkpoint_latest()
    key = tlog.signing_key()
    payload = {
        **body,
        "issued_at": iso(now),
        "expires_at": iso(expires),
        "checkpoint": checkpoint.note if checkpoint else None,
        "log": {"origin": key.name, "key_name": checkpoint.key.name if checkpoint else key.name, "key_id": key.key_id},
    }
    return dsse.sign(jcs.dumps(payload), key.private, payload_type=RECEIPT_TYPES[kind]), expires
