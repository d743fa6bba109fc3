"""The webhook transport: which targets may be called (SSRF guard) and one signed POST to a checked address.

A target's host is resolved and **every** address it resolves to must be public (not private, loopback,
link-local, multicast, reserved, unspecified or shared address space), at registration and again at each
delivery; the connection then goes to the address that was checked (so a DNS answer that changes between the
check and the connection cannot point it inside), with the host name kept for ``Host`` and TLS. Redirects are
never followed (``http.client`` has none). ``WEBHOOK_ALLOW_PRIVATE`` lifts both the address rule and the https
rule, for development and tests.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

RESPONSE_READ_LIMIT = 4096  # of a receiver's body we read (and ignore) this much, so the connection closes cleanly
MAX_RETRY_AFTER_SECONDS = 86_400  # a receiver may slow us down, not park a message for a week


class TargetRefused(Exception):
    """The URL may not be called: why, in words for the person who registered it."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no HTTP answer (refused target, DNS, connection, TLS or timeout)
    error: str  # empty on a 2xx
    retry_after: float | None  # seconds, from a Retry-After header
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def allow_private() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE)


def refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why an address is not a public one, or '' when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        # IPv4 carried inside IPv6 (mapped, 6to4, Teredo) is judged as the IPv4 address it reaches.
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return refused_address(embedded)
    for attribute, words in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_unspecified", "unspecified"),
        ("is_reserved", "reserved"),
        ("is_private", "private"),
    ):
        if getattr(address, attribute):
            return words
    return "" if address.is_global else "not public"


def split_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of a webhook URL, or TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"Not a valid URL: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise TargetRefused("Use an https:// URL.")
    if scheme == "http" and not allow_private():
        raise TargetRefused("Use an https:// URL: webhooks are not sent in the clear.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Put no credentials in the URL; verify our signature instead.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> list[str]:
    """The addresses a host resolves to; each checked unless private targets are allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(f"The host {host!r} does not resolve ({error}).") from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    if not addresses:
        raise TargetRefused(f"The host {host!r} does not resolve.")
    if not allow_private():
        for text in addresses:
            why = refused_address(ipaddress.ip_address(text))
            if why:
                raise TargetRefused(
                    f"The host {host!r} resolves to {text} (not public: {why}): webhooks go to public addresses only."
                )
    return addresses


def check_target(url: str) -> None:
    """Refuse a URL that may not be called (at registration): TargetRefused with the reason."""
    _, host, port, _ = split_target(url)
    resolve(host, port)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url`` once, to a checked address, within the timeout; never raises for the network."""
    started = time.monotonic()

    def outcome(status: int | None, error: str, retry_after: float | None = None) -> Outcome:
        return Outcome(status, error[:500], retry_after, int((time.monotonic() - started) * 1000))

    try:
        scheme, host, port, path = split_target(url)
        address = resolve(host, port)[0]
    except TargetRefused as refusal:
        return outcome(None, f"refused: {refusal}")
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers={**headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
    except TimeoutError:
        return outcome(None, f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException) as error:
        return outcome(None, f"{type(error).__name__}: {error}")
    finally:
        connection.close()
    status = response.status
    if 200 <= status < 300:
        return outcome(status, "")
    return outcome(
        status, f"HTTP {status} {response.reason}".strip(), parse_retry_after(response.getheader("Retry-After"))
    )
