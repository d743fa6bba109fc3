"""The ingest path's canonical bytes (evidence.canonical): byte-for-byte RFC 8785 (checked against the rfc8785
package), and the hash a stored record carries is the hash of its canonical record."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence import canonical
from evidence.canonical import canonical_bytes
from trustcore.canonical import canonical_record

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=8))
def test_fast_path_equals_rfc8785(document) -> None:
    assert canonical_bytes(document) == rfc8785.dumps(document)


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        -0.0,
        9007199254740994.0,
        3.585171290153543e16,
        1e-7,
        1e21,
        1e16,
        0.1,
        123456789.125,
        5e-324,
        "\u2028",
        "é",
        {"\ue000": 1, "\U0001f600": 2},
    ],
    ids=repr,
)
def test_known_tricky_values(value) -> None:
    document = {"v": value}
    assert canonical_bytes(document) == rfc8785.dumps(document)


json_numbers = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.floats(
    allow_nan=False, allow_infinity=False
)


@settings(max_examples=300, deadline=None)
@given(
    value=json_numbers,
    values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5),
    payload=st.dictionaries(st.text(max_size=6), json_values, max_size=4),
    text=st.text(max_size=12),
)
def test_evidence_record_fast_path_equals_rfc8785(value, values, payload, text) -> None:
    moment = datetime(2026, 11, 20, 1, 2, 3, 450000, tzinfo=UTC)
    # Each drawn example in all three measurement shapes (one draw, three records: a parametrization would
    # triple the drawing for the same coverage).
    for shape in ({"value": value}, {"values": values}, {"successes": 3, "trials": 7}):
        record = canonical_record(
            agent="a",
            vendor="v",
            kind="telemetry",
            metric="m",
            observed_from=moment,
            observed_to=moment,
            received_at=moment,
            visibility="public",
            source={"tool": text, "version": text},
            payload=payload,
            measurement={"task": text, "scorer": text},
            salt="ab" * 32,
            **shape,
        )
        assert canonical_bytes(record) == rfc8785.dumps(record)


@pytest.mark.django_db
def test_canonical_hash_matches_the_canonical_record(record, agent) -> None:
    expected = canonical.record_hash(
        canonical_record(
            agent=agent.slug,
            vendor=agent.organization.slug,
            kind=record.kind,
            metric=record.metric,
            observed_from=record.observed_from,
            observed_to=record.observed_to,
            received_at=record.received_at,
            visibility=record.visibility,
            successes=record.successes,
            trials=record.trials,
            source={"tool": "prod-telemetry", "version": "1.4"},
            salt=json.loads(record.canonical)["salt"],
        )
    )
    assert record.canonical_hash == expected
