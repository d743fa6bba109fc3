"""The canonical form of an evidence record: what its hash (and its transparency-log leaf) commits to.

Standard library only (``trustcore.jcs`` gives the RFC 8785 bytes). Times are UTC, RFC 3339 with a ``Z``
and microseconds only when present. The portal's ingest path builds the same bytes faster
(``evidence.canonical``); tests check the two agree byte for byte.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from trustcore import jcs

CANONICAL_VERSION = "evidence/v1"


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
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "v": CANONICAL_VERSION,
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
    return record


def canonical_bytes(record: dict[str, Any]) -> bytes:
    return jcs.dumps(record)


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()
