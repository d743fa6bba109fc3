"""Throttling for pages (the API has DRF's, ``trust_portal.api.throttling``): a budget of requests per signed-in
user, else per client address, per period; beyond it a 429 page with ``Retry-After``.

Counters are fixed windows in the cache (``cache.incr``, atomic on Redis), so one client costs one key per
period whatever it sends; share ``CACHE_URL`` between web processes so the budget holds across them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string

from trust_portal.clients import client_address
from trust_portal.env import parse_rate


def page_budget(request: HttpRequest) -> tuple[str, int, int]:
    """(counter name, requests allowed, period in seconds) for this request's client."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        scope, ident = "user", f"user:{user.pk}"
    else:
        scope, ident = "anon", f"addr:{client_address(request)}"
    allowed, period = parse_rate(f"PAGE_THROTTLE_RATES[{scope!r}]", settings.PAGE_THROTTLE_RATES[scope])
    return ident, allowed, period


def page_throttle_wait(request: HttpRequest) -> int | None:
    """Count this request; the seconds until the client may ask again when it is over its budget, else None."""
    ident, allowed, period = page_budget(request)
    now = time.time()
    window = int(now // period)
    key = f"page-throttle:{ident}:{period}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = int(cache.incr(key))
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count <= allowed:
        return None
    return max(1, int((window + 1) * period - now + 0.999))


def is_exempt(request: HttpRequest) -> bool:
    return request.path.startswith(tuple(settings.PAGE_THROTTLE_EXEMPT_PREFIXES))


class PageThrottleMiddleware:
    """After authentication (a signed-in user has their own, larger budget), before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_exempt(request):
            wait = page_throttle_wait(request)
            if wait is not None:
                return too_many_requests(request, wait)
        return self.get_response(request)


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    body = render_to_string("429.html", {"retry_after": wait}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(wait)
    return response
