"""RFC 8785 JSON Canonicalization Scheme (JCS), standard library only.

The bytes every content hash and transparency-log leaf in Trust Portal is taken over. Objects have their
keys sorted by UTF-16 code units, strings are escaped minimally (RFC 8785 section 3.2.2.2), and numbers
are printed the way ECMAScript's ``Number.prototype.toString`` prints them (section 3.2.2.3). Numbers that
an IEEE 754 double cannot carry exactly (NaN, infinities, integers beyond ±(2^53 − 1)) are refused, as
I-JSON (RFC 7493) requires.
"""

from __future__ import annotations

import json
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1

_encode_string = json.JSONEncoder(ensure_ascii=False).encode  # escapes exactly ", \, and U+0000–U+001F


class CanonicalizationError(ValueError):
    """The value has no RFC 8785 form (a non-finite number, an unsafe integer, a non-string key, …)."""


def dumps(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value`` (dicts, lists, str, int, float, bool, None)."""
    parts: list[str] = []
    _write(value, parts.append)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalizationError("a string holds a lone surrogate, which UTF-8 cannot encode") from None


def number(value: float | int) -> str:
    """ECMAScript's shortest round-trip form of a number (RFC 8785 section 3.2.2.3)."""
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalizationError(f"integer {value} is outside ±(2^53 − 1)")
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise CanonicalizationError(f"{value} is not a finite number")
    if value == 0:
        return "0"  # -0 too
    sign = "-" if value < 0 else ""
    text = repr(abs(value))  # Python's repr is the shortest round-trip digit string, like ECMAScript's
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)  # value = 0.digits × 10^point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * -n + digits
    else:
        exp = n - 1
        out = (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + ("+" if exp >= 0 else "-") + str(abs(exp))
    return sign + out


def _sort_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _write(value: Any, emit: Any) -> None:
    if value is None:
        emit("null")
    elif value is True:
        emit("true")
    elif value is False:
        emit("false")
    elif isinstance(value, str):
        emit(_encode_string(value))
    elif isinstance(value, int | float):
        emit(number(value))
    elif isinstance(value, list | tuple):
        emit("[")
        for position, item in enumerate(value):
            if position:
                emit(",")
            _write(item, emit)
        emit("]")
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalizationError(f"object key {key!r} is not a string")
        emit("{")
        for position, key in enumerate(sorted(value, key=_sort_key)):
            if position:
                emit(",")
            emit(_encode_string(key))
            emit(":")
            _write(value[key], emit)
        emit("}")
    else:
        raise CanonicalizationError(f"{type(value).__name__} is not a JSON value")
