"""Strict readers for settings taken from the environment.

Every reader names the variable in its error, so a malformed deployment fails
at start with a message an operator can act on, instead of limping along.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Collection, Mapping, Sequence
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
# DRF's throttle periods, long and short; DRF itself only looks at the first letter, so "10/mango" would
# silently mean ten a minute and "10/fortnight" a KeyError on every request.
RATE_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"([0-9]+)/([a-z]+)")
_DOTTED_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_HOST_NAME = r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?"
_HOST = re.compile(rf"{_HOST_NAME}|[0-9a-f.]*:[0-9a-f:.]*|\[[0-9a-f:.]+\]", re.IGNORECASE)
# Django's ALLOWED_HOSTS: a name, a ".domain" matching its subdomains, "*", or a bracketed IPv6 address.
_ALLOWED_HOST = re.compile(rf"\*|\.?{_HOST_NAME}|\[[0-9a-f:.]+\]", re.IGNORECASE)
_Str = str  # the readers below are named after the types they return
_Int = int
_List = list


class Env:
    """Typed access to a mapping of environment variables (``os.environ`` by default)."""

    def __init__(self, environ: Mapping[_Str, _Str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def is_set(self, name: _Str) -> bool:
        return name in self.environ

    def str(self, name: _Str, default: _Str | None = None, *, allow_empty: bool = True) -> _Str:
        value = self.environ.get(name)
        if value is None:
            if default is None:
                raise ImproperlyConfigured(f"{name} is required but not set.")
            return default
        if not allow_empty and not value.strip():
            raise ImproperlyConfigured(f"{name} is set but empty; give it a value or unset it.")
        return value

    def bool(self, name: _Str, default: bool) -> bool:
        raw = self.environ.get(name)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")

    def int(self, name: _Str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        raw = self.environ.get(name)
        if raw is None:
            return default
        try:
            value = _Int(raw.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
        if maximum is not None and value > maximum:
            raise ImproperlyConfigured(f"{name}={value} must be at most {maximum}.")
        return value

    def list(self, name: _Str, default: _List[_Str]) -> _List[_Str]:
        raw = self.environ.get(name)
        if raw is None:
            return _List(default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def choice(self, name: _Str, default: _Str, choices: Sequence[_Str]) -> _Str:
        """One of ``choices``, matched case-insensitively and returned as spelled in ``choices``."""
        raw = self.environ.get(name)
        if raw is None:
            return default
        for choice in choices:
            if raw.strip().casefold() == choice.casefold():
                return choice
        raise ImproperlyConfigured(f"{name}={raw!r} is not one of {', '.join(choices)}.")

    def dotted_path(self, name: _Str, default: _Str) -> _Str:
        """A Python dotted path such as ``django.core.mail.backends.smtp.EmailBackend`` (its shape, not its import)."""
        raw = self.environ.get(name)
        if raw is None:
            return default
        if not _DOTTED_PATH.fullmatch(raw):
            raise ImproperlyConfigured(f"{name}={raw!r} is not a dotted Python path (package.module.Name).")
        return raw

    def path(self, name: _Str, default: Path) -> Path:
        """An absolute path: a relative one would depend on the directory each process happens to start in."""
        raw = self.environ.get(name)
        if raw is None:
            return default
        if not raw.strip() or not Path(raw).is_absolute():
            raise ImproperlyConfigured(f"{name}={raw!r} must be an absolute path.")
        return Path(raw)

    def rate(self, name: _Str, default: _Str) -> _Str:
        """A throttle rate, ``N/second|minute|hour|day`` (or ``s|m|h|d``) with N ≥ 1, normalised to lower case."""
        raw = self.environ.get(name)
        if raw is None:
            return default
        parse_rate(name, raw)
        return raw.strip().lower()

    def hostname(self, name: _Str, default: _Str) -> _Str:
        """A bare host name or IP address: no scheme, port or path."""
        raw = self.environ.get(name)
        if raw is None:
            return default
        if not _HOST.fullmatch(raw):
            raise ImproperlyConfigured(f"{name}={raw!r} is not a host name or IP address (no scheme, port or path).")
        return raw

    def hosts(self, name: _Str, default: _List[_Str]) -> _List[_Str]:
        """Comma-separated ``ALLOWED_HOSTS`` entries: ``trust.example.com``, ``.example.com``, ``*``, ``[::1]``."""
        hosts = self.list(name, default)
        for host in hosts:
            if not _ALLOWED_HOST.fullmatch(host):
                raise ImproperlyConfigured(
                    f"{name}: {host!r} is not a host name; give names like trust.example.com or .example.com, "
                    "without scheme, port or path."
                )
        return hosts

    def origins(self, name: _Str, default: _List[_Str]) -> _List[_Str]:
        """Comma-separated origins, ``scheme://host[:port]`` (``https://*.example.com`` allowed), as Django wants."""
        origins = self.list(name, default)
        for origin in origins:
            parts = _http_url(name, origin)
            if parts.path or parts.query or parts.fragment or parts.username is not None:
                raise ImproperlyConfigured(f"{name}: {origin!r} is not an origin (scheme://host[:port], nothing more).")
        return origins

    def url(self, name: _Str, default: _Str | None = None) -> _Str:
        """An absolute http(s) URL without a trailing slash (paths are appended to it)."""
        raw = self.environ.get(name)
        if raw is None:
            if default is None:
                raise ImproperlyConfigured(f"{name} is required but not set (an absolute URL such as https://host).")
            return default
        parts = _http_url(name, raw)
        if parts.query or parts.fragment or parts.username is not None:
            raise ImproperlyConfigured(f"{name}={raw!r}: give scheme, host, port and path only (no query or user).")
        if raw.endswith("/"):
            raise ImproperlyConfigured(f"{name}={raw!r}: drop the trailing slash.")
        return raw

    def email_address(self, name: _Str, default: _Str) -> _Str:
        """One address, bare or with a display name: ``Trust Portal <noreply@example.com>``."""
        raw = self.environ.get(name)
        if raw is None:
            return default
        addresses = getaddresses([raw])
        try:
            if len(addresses) != 1:
                raise ValidationError("not one address")
            validate_email(addresses[0][1])
        except ValidationError:
            raise ImproperlyConfigured(
                f"{name}={raw!r} is not one e-mail address (name@example.com or Name <name@example.com>)."
            ) from None
        return raw

    def key_name(self, name: _Str, default: _Str) -> _Str:
        """A signed-note key name: non-empty, without spaces, '+' or control characters."""
        raw = self.environ.get(name)
        if raw is None:
            return default
        if not raw or "+" in raw or any(char.isspace() or char < " " for char in raw):
            raise ImproperlyConfigured(
                f"{name}={raw!r} is not a valid name: it must be non-empty, without spaces, '+' or control characters."
            )
        return raw

    def database(self, name: _Str, default: dict[_Str, Any]) -> dict[_Str, Any]:
        raw = self.environ.get(name)
        if raw is None:
            return default
        return parse_database_url(name, raw)

    def redis_url(
        self, name: _Str, default: _Str | None = None, *, schemes: Collection[_Str] = ("redis", "rediss", "memory")
    ) -> _Str | None:
        raw = self.environ.get(name)
        if raw is None:
            return default
        parts = urlsplit(raw)
        if parts.scheme not in schemes:
            raise ImproperlyConfigured(
                f"{name}={_redact(raw)!r}: expected a redis://host:port/db URL "
                f"(scheme {parts.scheme!r} is not supported; use one of {', '.join(schemes)})."
            )
        if parts.scheme == "memory":
            return raw
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}={_redact(raw)!r}: the URL names no host.")
        try:
            parts.port  # noqa: B018  (urlsplit checks the port only when asked)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={_redact(raw)!r}: the port is not a number.") from None
        if parts.path.strip("/") and not parts.path.strip("/").isdigit():
            raise ImproperlyConfigured(f"{name}={_redact(raw)!r}: the database must be a number (/0, /1, …).")
        return raw


@functools.lru_cache(maxsize=64)  # read on every throttled request (the settings may change in tests: keyed by text)
def parse_rate(name: str, raw: str) -> tuple[int, int]:
    """``"120/minute"`` → ``(120, 60)``: requests allowed per period in seconds; anything else is refused."""
    match = _RATE.fullmatch(raw.strip().lower())
    if match is None or match[2] not in RATE_PERIODS or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate: use N/second, N/minute, N/hour or N/day "
            "(or N/s, N/m, N/h, N/d) with N a positive integer."
        )
    return int(match[1]), RATE_PERIODS[match[2]]


SQLITE_OPTIONS: dict[str, Any] = {
    # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at BEGIN so concurrent
    # writers queue (up to the timeout) instead of failing with "database is locked".
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def parse_database_url(name: str, raw: str) -> dict[str, Any]:
    """Turn ``postgres://user:pw@host:port/db?opt=v`` or ``sqlite:///path`` into Django's dict."""
    parts = urlsplit(raw)
    scheme = parts.scheme
    if scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:////abs/path.db is absolute, sqlite:///rel.db relative to the working directory.
        db_name = path[1:] if path.startswith("//") else (path.lstrip("/") or ":memory:")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": db_name, "OPTIONS": dict(SQLITE_OPTIONS)}
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"{name}={_redact(raw)!r}: expected postgres://user:password@host:port/dbname "
            f"or sqlite:///path (scheme {scheme!r} is not supported)."
        )
    db_name = unquote(parts.path.lstrip("/"))
    if not db_name:
        raise ImproperlyConfigured(f"{name}={_redact(raw)!r}: the URL names no database.")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}={_redact(raw)!r}: the port is not a number.") from None
    options = dict(parse_qsl(parts.query))
    return {
        "ENGINE": "trust_portal.postgresql",  # Django's, with a health check without a round trip
        "NAME": db_name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": _database_host(parts),
        "PORT": str(port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def _database_host(parts: SplitResult) -> str:
    """The host as written (a socket directory percent-encoded, as libpq reads it: ``%2Fvar%2Frun%2Fpostgresql``);
    ``parts.hostname`` would lower-case a path."""
    host = parts.netloc.rpartition("@")[2]
    if host.startswith("["):  # [::1]:5432
        return host[1 : host.index("]")]
    return unquote(host.partition(":")[0])


def _http_url(name: str, raw: str) -> SplitResult:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname or any(char.isspace() for char in raw):
        raise ImproperlyConfigured(f"{name}={raw!r} is not an absolute http(s) URL (https://host[:port]).")
    try:
        parts.port  # noqa: B018  (urlsplit checks the port only when asked)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: the port is not a number.") from None
    return parts


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
