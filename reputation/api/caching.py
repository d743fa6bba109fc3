"""ETag and Cache-Control for scores and decisions: a platform may cache a signed answer until its receipt expires,
and must revalidate an unsigned one every time (a 304 when nothing it rests on changed), so a downgrade is never
hidden by a cache for longer than the receipt the caller chose to accept."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson
from django.http import HttpResponse
from django.utils.http import parse_etags, quote_etag

from trust_portal.api.renderers import FastJSONRenderer

_RENDERER = FastJSONRenderer()


def json_ready(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as a client reads it back from the JSON the API renders (times as text, decimals as numbers)."""
    return orjson.loads(_RENDERER.render(data))  # type: ignore[no-any-return]


_ETAG_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def etag_of(*parts: Any) -> str:
    """A strong ETag for what an answer rests on (JSON-encodable parts; anything else by its ``str``)."""
    return quote_etag(hashlib.sha256(orjson.dumps(parts, default=str, option=_ETAG_JSON)).hexdigest()[:32])


def matches(request: Any, etag: str) -> bool:
    """Whether ``If-None-Match`` names this ETag (or is ``*``), compared weakly as RFC 9110 says for it: a
    ``W/"…"`` a cache sends back matches too."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")  # not ``request.headers``: it copies every header first
    if not header:
        return False
    return header.strip() == "*" or etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in parse_etags(header)}


def not_modified() -> HttpResponse:
    """A 304: no body, so no ``Content-Type`` either."""
    response = HttpResponse(status=304)
    del response["Content-Type"]
    return response


def cache_headers(response: HttpResponse, *, etag: str, expires: datetime | None, now: datetime) -> HttpResponse:
    """Unsigned answers: an ETag, and revalidate every time. Signed ones: cacheable (privately) until the receipt
    expires, with no ETag (a receipt is a new signature each time, not a revalidation)."""
    if expires is None:
        response["ETag"] = etag
    if expires is not None:
        response["Cache-Control"] = f"private, max-age={max(0, int((expires - now).total_seconds()))}"
    else:
        response["Cache-Control"] = "private, no-cache"
    return response
