"""RFC 8785 JSON Canonicalization (trustcore.jcs): byte-for-byte the reference encoder (the rfc8785 package),
and a refusal for every value RFC 8785 / I-JSON has no form for."""

from __future__ import annotations

import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcore import jcs

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
@given(json_values)
def test_equals_the_reference_encoder(value) -> None:
    assert jcs.dumps(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (5e-324, "5e-324"),
        (9007199254740991, "9007199254740991"),
    ],
)
def test_numbers_print_like_ecmascript(value, text: str) -> None:
    assert jcs.number(value) == text


def test_keys_sort_by_utf16_code_units() -> None:
    # U+E000 sorts before U+1F600 by code point, but after it in UTF-16 (a surrogate pair starts with 0xD83D).
    assert jcs.dumps({"\ue000": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ue000":1}'.encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, "not a finite number"),
        (math.inf, "not a finite number"),
        (2**53, "outside"),
        (-(2**53), "outside"),
        ({1: "x"}, "not a string"),
        ({"x": object()}, "not a JSON value"),
        ("\ud800", "lone surrogate"),
    ],
    ids=["nan", "infinity", "2^53", "-2^53", "int-key", "object", "lone-surrogate"],
)
def test_values_without_a_canonical_form_are_refused(value, message: str) -> None:
    with pytest.raises(jcs.CanonicalizationError, match=message):
        jcs.dumps(value)
