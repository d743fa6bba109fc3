"""Who is asking, as far as the network can tell: the one place a request's client address is worked out.

The API throttle, the page throttle and the sign-in lock-out all key on ``client_address(request)``, so a
client that could make one of them see another address could make all three; and none of them believes a
header that the client itself could have written.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "unknown"
# One IPv6 subscriber is handed a /64 (RFC 6177): counting its addresses one by one would let it rotate
# through 2**64 of them, so throttles and lock-outs count the network.
IPV6_PREFIX = 64


def client_address(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or with ``TRUSTED_PROXIES = N`` the Nth entry of
    ``X-Forwarded-For`` from the right (the one our outermost proxy appended). IPv6 clients are their /64.

    With no trusted proxies, ``X-Forwarded-For`` is ignored: anyone can send it. With N, the N right-most
    entries were written by our proxies and everything left of them by the client, so only the Nth from the
    right is believed; a header with fewer entries (a request that did not pass through every proxy) or an
    entry that is not an address falls back to ``REMOTE_ADDR``.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    proxies = int(getattr(settings, "TRUSTED_PROXIES", 0))
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies:
            claimed = _parse(forwarded[-proxies])
            if claimed is not None:
                return _key(claimed)
    parsed = _parse(peer)
    return _key(parsed) if parsed is not None else (peer or UNKNOWN)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address, allowing the port some proxies append (``1.2.3.4:5678``, ``[2001:db8::1]:443``)."""
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return address
    return None


def _key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
