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


def window_count(key: str, period: int) -> tuple[int, int]:
    """Count one request in the fixed window of ``period`` seconds under ``key``: (requests counted in the window
    so far, this one included; whole seconds until the window ends). One ``incr`` (an ``add`` opens the window),
    whatever the rate: the pages' and the API's throttles both count here. The key outlives its window by a
    second, so no ``incr`` ever meets it expired (which would recreate it without a timeout)."""
    now = time.time()
    window = int(now // period)
    name = f"{key}:{period}:{window}"
    try:
        count = int(cache.incr(name))
    except ValueError:  # the window's first request (or its key was evicted); or another process opened it now
        count = 1 if cache.add(name, 1, timeout=period + 1) else int(cache.incr(name))
    return count, max(1, int((window + 1) * period - now + 0.999))


def page_throttle_wait(request: HttpRequest) -> int | None:
    """Count this request; the seconds until the client may ask again when it is over its budget, else None."""
    ident, allowed, period = page_budget(request)
    count, wait = window_count(f"page-throttle:{ident}", period)
    return None if count <= allowed else wait


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
