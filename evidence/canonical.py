"""The canonical form of an evidence record: what its hash (and its transparency-log leaf) commits to.

Pure standard library + ``rfc8785``: the offline verifier uses the same code.
Times are UTC, RFC 3339 with a ``Z`` and microseconds only when present.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import rfc8785

CANONICAL_VERSION = "evidence/v1"


def iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def canonical_record(
    *,
    agent: str,
    vendor: str,
    kind: str,
    metric: str,
    observed_from: datetime,
    observed_to: datetime,
    received_at: datetime,
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
    return record


def canonical_bytes(record: dict[str, Any]) -> bytes:
    return rfc8785.dumps(record)


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()
