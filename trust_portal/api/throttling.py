"""Per-client API throttling: a bucket per token, else per user, else per client address (``client_address``:
``X-Forwarded-For`` only as far as ``TRUSTED_PROXIES`` says, never DRF's own reading of it).

Counted in fixed windows (``trust_portal.throttle.window_count``, as pages are): one cache ``incr`` a request,
whatever the rate. DRF's own throttle keeps a list of every request's time in the window, read and written back
whole on each request, so its cost grows with the rate allowed (at 1,200 a minute, a list of 1,200 floats
unpickled and pickled again per request)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from trust_portal.clients import client_address
from trust_portal.env import parse_rate
from trust_portal.throttle import window_count


class ClientRateThrottle(BaseThrottle):
    """Rates come from ``settings.API_THROTTLE_RATES`` at request time (so they can be changed in tests)."""

    def __init__(self) -> None:
        self.scope = "token"
        self.seconds_left: int | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = "token" if request.user and request.user.is_authenticated else "anon"
        allowed, period = self.parse_rate(settings.API_THROTTLE_RATES[self.scope])
        count, self.seconds_left = window_count(self.get_cache_key(request, view), period)
        return count <= allowed

    def wait(self) -> float | None:
        return self.seconds_left

    def parse_rate(self, rate: str) -> tuple[int, int]:
        # The reader settings use, so a rate means the same at start-up and here (DRF reads only a first letter).
        return parse_rate(f"API_THROTTLE_RATES[{self.scope!r}]", rate)

    def get_cache_key(self, request: Request, view: Any) -> str:
        token_id = getattr(request.auth, "pk", None)
        if token_id is not None:
            ident = f"token:{token_id}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{ident}"

    def get_ident(self, request: Request) -> str:
        # DRF's version believes the whole X-Forwarded-For header unless NUM_PROXIES is set.
        return client_address(request._request)
