"""Per-client API throttling: a bucket per token, else per user, else per client address (``client_address``:
``X-Forwarded-For`` only as far as ``TRUSTED_PROXIES`` says, never DRF's own reading of it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from trust_portal.clients import client_address
from trust_portal.env import parse_rate


class ClientRateThrottle(SimpleRateThrottle):
    """Rates come from ``settings.API_THROTTLE_RATES`` at request time (so they can be changed in tests)."""

    scope = "token"

    def __init__(self) -> None:  # rate depends on the request; resolved in allow_request
        pass

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = "token" if request.user and request.user.is_authenticated else "anon"
        self.rate = settings.API_THROTTLE_RATES[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        # The reader settings use, so a rate means the same at start-up and here (DRF reads only a first letter).
        if rate is None:
            return None, None
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
