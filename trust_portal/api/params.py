"""Query-parameter parsing for API views: one strict reader per kind, a 400 naming the parameter otherwise."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

from trust_portal.errors import InvalidQuery
from trust_portal.sanitise import date_time_problem

_WHOLE = re.compile(r"[0-9]{1,16}")

# The largest whole number a query parameter takes: what a double carries exactly (I-JSON, docs/input.md).
QUERY_INT_MAX = 2**53 - 1

# The spellings a yes/no query parameter takes (documented as exactly these, see bool_parameter).
_YES, _NO = ("1", "true"), ("0", "false")


def query_int(request: Request, name: str, default: int | None = None, minimum: int = 0) -> int:
    """A whole number from ``minimum`` to QUERY_INT_MAX (ASCII digits only: no signs, spaces or Unicode digits).

    Absent, it is ``default`` (a 400 when there is none); present, it must be a number: an empty value is refused
    like any other non-number, as the schema (int_parameter) says."""
    raw = request.query_params.get(name)
    if raw is None:
        if default is None:
            raise InvalidQuery(f"{name} is required.", field=name)
        return default
    if not _WHOLE.fullmatch(raw) or not minimum <= int(raw) <= QUERY_INT_MAX:
        raise InvalidQuery(f"{name} must be a whole number from {minimum} to {QUERY_INT_MAX}.", field=name)
    return int(raw)


def query_int_or_none(request: Request, name: str, minimum: int = 0) -> int | None:
    if request.query_params.get(name) is None:
        return None
    return query_int(request, name, minimum=minimum)


def query_bool(request: Request, name: str) -> bool:
    """A yes/no parameter: 1 or true, 0 or false; absent means no; anything else is a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw in _NO:
        return False
    if raw in _YES:
        return True
    raise InvalidQuery(f"{name} must be one of {', '.join(_YES + _NO)}.", field=name)


def int_schema(minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": QUERY_INT_MAX}


def int_parameter(name: str, *, minimum: int = 0, required: bool = False, description: str = "") -> OpenApiParameter:
    """The schema of a parameter read by query_int: exactly the whole numbers it takes."""
    return OpenApiParameter(name, int_schema(minimum), required=required, description=description)  # type: ignore[arg-type]


def bool_parameter(name: str, *, description: str = "") -> OpenApiParameter:
    """The schema of a parameter read by query_bool: exactly the four spellings it takes."""
    schema = {"type": "string", "enum": list(_YES + _NO)}
    return OpenApiParameter(name, schema, description=description)  # type: ignore[arg-type]


def query_filters(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """A list's query parameters read through its filter serializer: validated values, or one 400 naming
    every bad parameter (never a 500, whatever the input: odd offsets and years included)."""
    serializer = serializer_class(data=request.query_params)
    # DRF reads an empty query value of an optional field as absent; the schema says the value may not be empty, so
    # ``?tier=`` is refused (naming it) rather than silently ignored (a filter the caller asked for, dropped).
    blank = [
        {"field": name, "message": "This parameter may not be empty.", "code": "blank"}
        for name, field in serializer.fields.items()
        if not getattr(field, "allow_blank", False)
        and not getattr(field, "read_only", False)
        and "" in request.query_params.getlist(name)
    ]
    try:
        valid = serializer.is_valid()
    except (ValueError, OverflowError, TypeError) as error:
        raise InvalidQuery(f"Unreadable query parameters: {error}") from None
    if not valid or blank:
        errors = [
            {"field": field, "message": str(message), "code": getattr(message, "code", "invalid")}
            for field, messages in (serializer.errors.items() if not valid else [])
            for message in messages
        ]
        errors += [e for e in blank if e["field"] not in {x["field"] for x in errors}]
        raise InvalidQuery("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    return dict(serializer.validated_data)


class StrictDateTimeField(serializers.DateTimeField):
    """An RFC 3339 moment whose offset and year stay in range (a `+23:59` offset on year 1 is refused, not a 500)."""

    def get_value(self, dictionary: Any) -> Any:
        if dictionary.get(self.field_name) == "":  # not null, as DRF reads an empty query value for allow_null
            return ""
        return super().get_value(dictionary)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data == "":  # DRF reads an empty value as null; the schema says date-time, so it is refused
            self.fail("invalid", format="RFC 3339, e.g. 2026-11-20T00:00:00Z")
        return super().validate_empty_values(data)

    def to_internal_value(self, value: Any) -> Any:
        try:
            moment = super().to_internal_value(value)
        except (ValueError, OverflowError):
            self.fail("invalid", format="RFC 3339, e.g. 2026-11-20T00:00:00Z")
        if date_time_problem(moment):
            self.fail("invalid", format="RFC 3339 within years 1–9999 in UTC, e.g. 2026-11-20T00:00:00Z")
        return moment


class StrictQueryBooleanField(serializers.BooleanField):
    """A yes/no query filter: true/false/1/0 only; an empty value or ``null`` is a 400, not "no filter" (absent is)."""

    def get_value(self, dictionary: Any) -> Any:
        if dictionary.get(self.field_name) == "":  # DRF would read it as null (or false)
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> bool:
        if data in ("true", "1", True):
            return True
        if data in ("false", "0", False):
            return False
        self.fail("invalid", input=data)
        raise AssertionError("unreachable")  # pragma: no cover


PAGINATION = ("cursor", "page_size")


def strict_query(
    request: Request, serializer_class: type[serializers.Serializer] | None = None, *, paginated: bool = False
) -> dict[str, Any]:
    """The query parameters through ``serializer_class`` (``query_filters``): an unknown or repeated one is a 400
    naming it; ``paginated`` also admits the cursor pagination's own."""
    allowed = set(serializer_class().fields) if serializer_class else set()
    if paginated:
        allowed |= set(PAGINATION)
    for name in sorted(request.query_params):
        if name not in allowed:
            expected = ", ".join(sorted(allowed)) or "none"
            raise InvalidQuery(f"Unknown query parameter {name!r} (this operation takes: {expected}).", field=name)
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidQuery(f"Give {name} once.", field=name)
    return query_filters(request, serializer_class) if serializer_class else {}
