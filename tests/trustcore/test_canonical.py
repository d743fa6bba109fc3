"""The canonical form of an evidence record (trustcore.canonical): UTC times with a Z, one measurement shape,
optional parts only when present, and the hash over its RFC 8785 bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from trustcore import jcs
from trustcore.canonical import CANONICAL_VERSION, canonical_bytes, canonical_record, iso, record_hash

MOMENT = datetime(2026, 11, 20, tzinfo=UTC)


def record(**overrides) -> dict:
    fields = dict(
        agent="refund-bot",
        vendor="acme-agents",
        kind="telemetry",
        metric="task_success",
        observed_from=MOMENT - timedelta(days=1),
        observed_to=MOMENT,
        received_at=MOMENT,
        visibility="public",
        successes=57,
        trials=60,
    )
    fields.update(overrides)
    return canonical_record(**fields)


def test_iso_times_are_utc_with_z() -> None:
    assert iso(datetime(2026, 11, 20, tzinfo=UTC)) == "2026-11-20T00:00:00Z"
    assert iso(datetime(2026, 11, 20, 0, 0, 0, 500000, tzinfo=UTC)) == "2026-11-20T00:00:00.5Z"


def test_iso_converts_other_offsets_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert iso(datetime(2026, 11, 20, 1, 0, tzinfo=paris)) == "2026-11-20T00:00:00Z"


def test_a_count_record_has_the_version_and_no_optional_parts() -> None:
    assert record() == {
        "v": CANONICAL_VERSION,
        "agent": "refund-bot",
        "vendor": "acme-agents",
        "kind": "telemetry",
        "metric": "task_success",
        "observed_from": "2026-11-19T00:00:00Z",
        "observed_to": "2026-11-20T00:00:00Z",
        "received_at": "2026-11-20T00:00:00Z",
        "visibility": "public",
        "successes": 57,
        "trials": 60,
    }


@pytest.mark.parametrize(
    ("shape", "present", "absent"),
    [
        ({"value": 0.9}, {"value"}, {"values", "successes", "trials"}),
        ({"values": [1.0, 2.0]}, {"values"}, {"value", "successes", "trials"}),
    ],
    ids=["value", "values"],
)
def test_one_measurement_shape_only(shape, present, absent) -> None:
    built = record(**shape)
    assert present <= set(built)
    assert not absent & set(built)


def test_hash_is_sha256_of_the_rfc8785_bytes() -> None:
    built = record(source={"tool": "prod-telemetry", "version": "1.4"}, payload={"run": 7})
    assert canonical_bytes(built) == jcs.dumps(built)
    assert record_hash(built) == hashlib.sha256(jcs.dumps(built)).hexdigest()
    assert record_hash(record(successes=56)) != record_hash(record())
