"""The canonical form of an evidence record: what its hash (and its transparency-log leaf) commits to.

Standard library only (``trustcore.jcs`` gives the RFC 8785 bytes). Times are UTC, RFC 3339 with a ``Z``
and microseconds only when present.

Two forms, named by ``v``:

- ``evidence/v2`` (every record accepted since the log was salted) carries ``salt``: 256 random bits as 64
  lowercase hex digits, drawn per record at ingest and stored in the canonical text. Without the salt, a
  leaf hash (which anyone can read as the sibling in a public record's inclusion proof) cannot be
  reproduced from guessed field values: Certificate Transparency's practice for committing to private
  data. The salt reaches only those who may see the record (it is part of the record's canonical data).
- ``evidence/v1`` (records logged before): the same fields without a salt. Their leaves stay as they are,
  valid and verifiable; nothing already logged is re-committed. The portal's ingest path builds the same bytes faster
(``evidence.canonical``); tests check the two agree byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime
from typing import Any

from trustcore import jcs

CANONICAL_VERSION = "evidence/v2"
UNSALTED_VERSION = "evidence/v1"
VERSIONS = frozenset({CANONICAL_VERSION, UNSALTED_VERSION})
SALT_BYTES = 32
_SALT = re.compile(r"[0-9a-f]{64}")


def new_salts(count: int) -> list[str]:
    """``count`` fresh salts (one ``os.urandom`` call for the whole batch)."""
    pool = os.urandom(SALT_BYTES * count).hex()
    width = 2 * SALT_BYTES
    return [pool[i : i + width] for i in range(0, len(pool), width)]


def salt_problem(record: dict[str, Any]) -> str | None:
    """Why a record's salt is not as its form requires; None when it is."""
    version = record.get("v")
    if version not in VERSIONS:
        return f"unknown record form {version!r}"
    salt = record.get("salt")
    if version == UNSALTED_VERSION:
        return None if salt is None else f"a {UNSALTED_VERSION} record carries no salt"
    if not isinstance(salt, str) or not _SALT.fullmatch(salt):
        return f"a {CANONICAL_VERSION} record needs a salt of {2 * SALT_BYTES} lowercase hex digits"
    return None


def iso(moment: datetime | str) -> str:
    if moment.__class__ is str:  # already canonical (computed once per batch)
        return moment  # type: ignore[return-value]
    if moment.utcoffset():  # type: ignore[union-attr]
        moment = moment.astimezone(UTC)  # type: ignore[union-attr]
    text = moment.isoformat()  # type: ignore[union-attr]
    if text.endswith("+00:00"):
        text = text[:-6]
    if moment.microsecond:  # type: ignore[union-attr]
        text = text.rstrip("0")
    return text + "Z"


def canonical_record(
    *,
    agent: str,
    vendor: str,
    kind: str,
    metric: str,
    observed_from: datetime,
    observed_to: datetime,
    received_at: datetime | str,
    visibility: str,
    value: float | None = None,
    values: list[float] | None = None,
    successes: int | None = None,
    trials: int | None = None,
    source: dict[str, str] | None = None,
    payload: dict[str, Any] | None = None,
    measurement: dict[str, str] | None = None,
    corrects: str | None = None,
    attachment: dict[str, Any] | None = None,
    signed: dict[str, str] | None = None,
    salt: str | None = None,
) -> dict[str, Any]:
    """The record's canonical fields; ``salt`` makes it ``evidence/v2`` (without one, the legacy v1 form)."""
    record: dict[str, Any] = {
        "v": CANONICAL_VERSION if salt is not None else UNSALTED_VERSION,
        "agent": agent,
        "vendor": vendor,
        "kind": kind,
        "metric": metric,
        "observed_from": iso(observed_from),
        "observed_to": iso(observed_to),
        "received_at": iso(received_at),
        "visibility": visibility,
    }
    if value is not None:
        record["value"] = value
    elif values is not None:
        record["values"] = values
    else:
        record["successes"], record["trials"] = successes, trials
    if source:
        record["source"] = source
    if payload:
        record["payload"] = payload
    if measurement:
        record["measurement"] = measurement
    if corrects:
        record["corrects"] = corrects
    if attachment:
        record["attachment"] = attachment
    if signed:
        record["signed"] = signed
    if salt is not None:
        record["salt"] = salt
    return record


def canonical_bytes(record: dict[str, Any]) -> bytes:
    return jcs.dumps(record)


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()
