"""Query-parameter parsing for API views: one strict reader per kind, a 400 naming the parameter otherwise."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from trust_portal.errors import InvalidQuery
from trust_portal.sanitise import date_time_problem

_WHOLE = re.compile(r"[0-9]{1,18}")


def query_int(request: Request, name: str, default: int | None = None) -> int:
    """A non-negative whole number (ASCII digits only: no signs, spaces or Unicode digits)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise InvalidQuery(f"{name} is required.", field=name)
        return default
    if not _WHOLE.fullmatch(raw):
        raise InvalidQuery(f"{name} must be a whole number.", field=name)
    return int(raw)


def query_int_or_none(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    return None if raw in (None, "") else query_int(request, name)


def query_filters(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """A list's query parameters read through its filter serializer: validated values, or one 400 naming
    every bad parameter (never a 500, whatever the input: odd offsets and years included)."""
    serializer = serializer_class(data=request.query_params)
    try:
        valid = serializer.is_valid()
    except (ValueError, OverflowError, TypeError) as error:
        raise InvalidQuery(f"Unreadable query parameters: {error}") from None
    if not valid:
        errors = [
            {"field": field, "message": str(message), "code": getattr(message, "code", "invalid")}
            for field, messages in serializer.errors.items()
            for message in messages
        ]
        raise InvalidQuery("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    return dict(serializer.validated_data)


class StrictDateTimeField(serializers.DateTimeField):
    """An RFC 3339 moment whose offset and year stay in range (a `+23:59` offset on year 1 is refused, not a 500)."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            moment = super().to_internal_value(value)
        except (ValueError, OverflowError):
            self.fail("invalid", format="RFC 3339, e.g. 2026-11-20T00:00:00Z")
        if date_time_problem(moment):
            self.fail("invalid", format="RFC 3339 within years 1–9999 in UTC, e.g. 2026-11-20T00:00:00Z")
        return moment
