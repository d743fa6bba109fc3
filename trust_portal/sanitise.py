"""One input sanitiser at the edge: the limits every request, document and imported file is held to, defined once.

A refusal is an ``InputRefused`` (400, problem+json on the API, a 400 page or a form error on pages) naming the
field; nothing hostile reaches the database, the canonical encoder or the log. See docs/input.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from trust_portal.errors import DomainError

# --- the limits ----------------------------------------------------------------------------------------------------

MAX_DEPTH = 32  # nested objects/arrays (a top-level array of records with a payload object is depth 3)
MAX_NUMBER_CHARS = 40  # characters in one number literal: more is never a measurement, only a parser workout
MAX_INTEGER = 2**53 - 1  # I-JSON (RFC 7493): what a double, and so RFC 8785 canonical JSON, carries exactly
MAX_CSV_FIELD = 1024 * 1024  # characters in one CSV cell (Python's csv module stops at 128 KiB by default)
# Control characters: C0 except tab, line feed and carriage return, plus DEL. None of them is text; NUL is refused by
# PostgreSQL outright, the others end up in logs, filenames and terminals. Lone surrogates cannot be stored as UTF-8.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

Path = tuple[str | int, ...]


class InputRefused(DomainError):
    """Input outside the limits above; ``parts`` is where (keys and indexes), ``field`` the same, dotted."""

    status = 400
    code = "invalid_input"
    title = "Invalid input"

    def __init__(
        self, message: str, *, parts: Path = (), code: str = "invalid_input", field: str | None = None
    ) -> None:
        self.parts = parts
        self.message = message
        name = field if field is not None else dotted(parts)
        super().__init__(
            f"{name}: {message}" if name else message,
            field=name or None,
            errors=[{"field": name, "message": message, "code": code}],
        )
        self.code = code


def escaped(text: str) -> str:
    """Text fit to show in an error: control characters as \\uXXXX escapes."""
    return CONTROL_CHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dotted(parts: Iterable[str | int]) -> str:
    return ".".join(escaped(part) if isinstance(part, str) else str(part) for part in parts)


# --- text ------------------------------------------------------------------------------------------------------------


def text_problem(text: str, subject: str = "") -> str | None:
    """Why ``text`` is refused (its first control character), or None."""
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return None
    return (
        f"{subject + ' contains' if subject else 'Contains'} the control character U+{ord(found.group()):04X} "
        f"(at position {found.start()}); text may hold tab, line feed and carriage return but no other control "
        "character."
    )


def check_text(text: str, field: str) -> str:
    problem = text_problem(text)
    if problem:
        raise InputRefused(problem, field=field, code="control_character")
    return text


# --- parsed data -------------------------------------------------------------------------------------------------------


class _RefusedNumber:
    """Stands in for a number literal outside the limits while the exact check looks for its path."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def number_literal_problem(literal: str) -> str | None:
    if len(literal) > MAX_NUMBER_CHARS:
        return f"A number of {len(literal)} characters; at most {MAX_NUMBER_CHARS} are accepted."
    if not any(c in literal for c in ".eE") and abs(int(literal)) > MAX_INTEGER:
        return f"An integer beyond ±{MAX_INTEGER} (2^53 − 1, what a JSON number carries exactly)."
    return None


def value_problem(value: Any, parts: Path = (), depth: int = 0) -> InputRefused | None:
    """The first reason a parsed JSON-like value is refused (with its path), or None.

    ``depth`` is how many containers already enclose ``value``. Recursion stops at MAX_DEPTH + 1 levels, whatever
    the input.
    """
    kind = type(value)
    if kind is str:
        problem = text_problem(value)
        return InputRefused(problem, parts=parts, code="control_character") if problem else None
    if kind is dict or kind is list:
        if depth >= MAX_DEPTH:
            return InputRefused(f"Nested deeper than {MAX_DEPTH} levels.", parts=parts, code="too_deep")
        if kind is dict:
            for key, item in value.items():
                if isinstance(key, str):
                    problem = text_problem(key, "The key")
                    if problem:
                        return InputRefused(problem, parts=(*parts, key), code="control_character")
                refused = value_problem(item, (*parts, key), depth + 1)
                if refused:
                    return refused
        else:
            for index, item in enumerate(value):
                refused = value_problem(item, (*parts, index), depth + 1)
                if refused:
                    return refused
        return None
    if kind is int:
        if not -MAX_INTEGER <= value <= MAX_INTEGER:
            return InputRefused(
                f"An integer beyond ±{MAX_INTEGER} (2^53 − 1, what a JSON number carries exactly).",
                parts=parts,
                code="number_out_of_range",
            )
        return None
    if kind is float:
        if not math.isfinite(value):
            return InputRefused("Expected a finite number.", parts=parts, code="number_out_of_range")
        return None
    if kind is _RefusedNumber:
        return InputRefused(
            number_literal_problem(value.literal) or "A number outside the limits.",
            parts=parts,
            code="number_out_of_range",
        )
    return None


def check_value(value: Any, parts: Path = (), depth: int = 0) -> Any:
    refused = value_problem(value, parts, depth)
    if refused:
        raise refused
    return value


# --- JSON text ---------------------------------------------------------------------------------------------------------

# Bytes of a number literal become "0", all others "x": no integer beyond 2^53 and no literal beyond 40 characters
# without a run of 16 zeros.
_NUMBER_BYTES = bytes(0x30 if chr(b) in "0123456789.+-" else 0x78 for b in range(256))
_LONG_NUMBER = b"0" * 16
# For depth only the brackets count, and of which kind does not (orjson checked they match): "{" -> "[", "}" -> "]".
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_QUOTES_OR_BRACKETS = bytes(set(range(256)) - set(b'"[]{}'))
_ESCAPED_CONTROL = re.compile(rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\[bf]")  # \b and \f are U+0008, U+000C
_NUMBER_LITERAL = re.compile(rb"-?[0-9][0-9.eE+-]{15,}")  # only those long enough to break a limit


def loads_json(data: bytes | str) -> Any:
    """Parse JSON text (strict: no NaN or Infinity, no trailing commas, valid UTF-8) within the limits.

    Raises ``ValueError`` for text that is not JSON (a ``json.JSONDecodeError``, with ``msg``, ``lineno`` and
    ``colno``, when the standard library can say where) and ``InputRefused`` for JSON outside the limits.
    """
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raise InputRefused("The text is not valid Unicode (a lone surrogate).", code="control_character") from None
    else:
        raw = data
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _explained(raw, error) from None
    check_json(raw, value)
    return value


def _explained(raw: bytes, error: orjson.JSONDecodeError) -> Exception:
    """The standard library's words for what is wrong ("Expecting ',' delimiter: line 3 column 5"), which people
    who write documents by hand know, else orjson's (it is stricter: lone surrogates, numbers beyond a double)."""
    try:
        marked = json.loads(
            raw, parse_int=_literal_hook(int), parse_float=_literal_hook(float), parse_constant=_refuse_constant
        )
    except RecursionError:
        return InputRefused(f"Nested deeper than {MAX_DEPTH} levels.", code="too_deep")
    except ValueError as explained:
        return explained
    return value_problem(marked) or error  # a number beyond a double, said where


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def check_json(raw: bytes, value: Any) -> None:
    """Hold ``value``, parsed from ``raw`` by orjson, to the limits.

    Cheap scans of the bytes first (they run at memory speed on the ingest path); the exact walk over ``value``,
    which names the field, only when a scan finds something that might be refused. orjson already refuses raw
    control characters inside strings, lone surrogates, NaN and numbers beyond a double, so a refused character
    is either a raw DEL or an escape (``\\u0000``, ``\\b``, ``\\f``).
    """
    if b"\x7f" in raw or (b"\\" in raw and _ESCAPED_CONTROL.search(raw)):
        check_value(value)
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"") if b"\\" in raw else raw
    if not _depth_within(unescaped.translate(_BRACKETS, _NOT_QUOTES_OR_BRACKETS)):
        check_value(value)
    if _LONG_NUMBER in raw.translate(_NUMBER_BYTES):
        outside = b"".join(unescaped.split(b'"')[::2])  # every quote left opens or closes a string
        for found in _NUMBER_LITERAL.finditer(outside):
            if number_literal_problem(found.group().decode()):
                # Parse again keeping the literals (orjson made a double of the longest), to say where it was.
                marked = json.loads(raw, parse_int=_literal_hook(int), parse_float=_literal_hook(float))
                check_value(marked)


def _literal_hook(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda literal: _RefusedNumber(literal) if number_literal_problem(literal) else convert(literal)


def _depth_within(quotes_and_brackets: bytes) -> bool:
    """Whether the brackets outside strings nest at most MAX_DEPTH deep, from the quotes and brackets of valid JSON
    with its escaped quotes removed."""
    # Two adjacent quotes enclose either an empty string or nothing outside strings: dropping them changes neither
    # part; what is left of each string is the brackets inside it.
    brackets = quotes_and_brackets.replace(b'""', b"")
    if b'"' in brackets:
        brackets = b"".join(brackets.split(b'"')[::2])
    for _ in range(MAX_DEPTH):  # each pass removes exactly the innermost level
        if not brackets:
            return True
        brackets = brackets.replace(b"[]", b"")
    return not brackets


# --- dates ---------------------------------------------------------------------------------------------------------------


def date_time_problem(moment: datetime) -> str | None:
    """Why an aware date-time is refused: its offset takes it outside years 1–9999 in UTC."""
    if moment.tzinfo is not None and moment.year in (1, 9999):
        try:
            moment.astimezone(UTC)
        except OverflowError:
            return "The time zone offset takes this date-time outside years 1–9999 (in UTC)."
    return None
