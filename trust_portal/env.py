"""Strict readers for settings taken from the environment.

Every reader names the variable in its error, so a malformed deployment fails
at start with a message an operator can act on, instead of limping along.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
_Str = str  # the readers below are named after the types they return


class Env:
    """Typed access to a mapping of environment variables (``os.environ`` by default)."""

    def __init__(self, environ: Mapping[_Str, _Str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def is_set(self, name: _Str) -> bool:
        return name in self.environ

    def str(self, name: _Str, default: _Str | None = None) -> _Str:
        value = self.environ.get(name)
        if value is None:
            if default is None:
                raise ImproperlyConfigured(f"{name} is required but not set.")
            return default
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

    def int(self, name: _Str, default: int, *, minimum: int | None = None) -> int:
        raw = self.environ.get(name)
        if raw is None:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
        return value

    def list(self, name: _Str, default: list[_Str]) -> list[_Str]:
        raw = self.environ.get(name)
        if raw is None:
            return list(default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def database(self, name: _Str, default: dict[_Str, Any]) -> dict[_Str, Any]:
        raw = self.environ.get(name)
        if raw is None:
            return default
        return parse_database_url(name, raw)

    def redis_url(self, name: _Str, default: _Str | None = None) -> _Str | None:
        raw = self.environ.get(name)
        if raw is None:
            return default
        parts = urlsplit(raw)
        if parts.scheme not in {"redis", "rediss", "memory"}:
            raise ImproperlyConfigured(
                f"{name}={raw!r}: expected a redis://host:port/db URL (scheme {parts.scheme!r} is not supported)."
            )
        if parts.scheme != "memory" and not parts.hostname:
            raise ImproperlyConfigured(f"{name}={raw!r}: the URL names no host.")
        return raw


def parse_database_url(name: str, raw: str) -> dict[str, Any]:
    """Turn ``postgres://user:pw@host:port/db?opt=v`` or ``sqlite:///path`` into Django's dict."""
    parts = urlsplit(raw)
    scheme = parts.scheme
    if scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:////abs/path.db is absolute, sqlite:///rel.db relative to the working directory.
        db_name = path[1:] if path.startswith("//") else (path.lstrip("/") or ":memory:")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": db_name}
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
        "ENGINE": "django.db.backends.postgresql",
        "NAME": db_name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
