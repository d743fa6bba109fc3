"""Query-parameter parsing for API views: one strict reader per kind, a 400 naming the parameter otherwise."""

from __future__ import annotations

import re

from rest_framework.request import Request

from trust_portal.errors import InvalidQuery

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
