"""Helpers for the admin tests of every app: admin URLs, a row's stored columns, the messages a response shows."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.db.models import Model
from django.urls import reverse


def url(obj_or_model: Any, view: str, *args: Any) -> str:
    return reverse(admin_urlname(obj_or_model._meta, view), args=args)


def columns(obj: Model) -> dict[str, Any]:
    """The row as stored (binary columns as bytes), to compare before and after a request."""
    obj.refresh_from_db()
    return {
        f.attname: bytes(v) if isinstance(v, memoryview) else v
        for f in obj._meta.concrete_fields
        for v in [getattr(obj, f.attname)]
    }


def reported(response: Any) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in response.context["messages"]]
