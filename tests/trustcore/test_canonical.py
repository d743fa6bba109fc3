"""The canonical form of an evidence record (trustcore.canonical): UTC times with a Z, one measurement shape,
optional parts only when present, and the hash over its RFC 8785 bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from trustcore import jcs
from trustcore.canonical import (
    CANONICAL_VERSION,
    UNSALTED_VERSION,
    canonical_bytes,
    canonical_record,
    iso,
    new_salts,
    record_hash,
    salt_problem,
)

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


def test_a_count_record_without_salt_is_the_legacy_form_with_no_optional_parts() -> None:
    assert record() == {
        "v": UNSALTED_VERSION,
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


def test_a_salted_record_is_v2_and_carries_its_salt() -> None:
    salt = new_salts(1)[0]
    built = record(salt=salt)
    assert built["v"] == CANONICAL_VERSION
    assert built["salt"] == salt
    assert salt_problem(built) is None


def test_salts_are_256_random_bits_each_and_distinct() -> None:
    salts = new_salts(50)
    assert len(salts) == 50 and len(set(salts)) == 50
    assert all(len(s) == 64 and int(s, 16) >= 0 for s in salts)


def test_the_same_fields_with_different_salts_hash_differently() -> None:
    first, second = new_salts(2)
    assert record_hash(record(salt=first)) != record_hash(record(salt=second))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"salt": None}, "needs a salt"),
        ({"salt": "AB" * 32}, "needs a salt"),
        ({"salt": "ab" * 31}, "needs a salt"),
        ({"v": UNSALTED_VERSION}, "carries no salt"),
        ({"v": "evidence/v9"}, "unknown record form"),
    ],
)
def test_a_salt_that_does_not_fit_its_form_is_named(change, problem) -> None:
    built = {**record(salt="ab" * 32), **change}
    if built["salt"] is None:
        del built["salt"]
    assert problem in (salt_problem(built) or "")
