"""``{% may "pacts.publish_version" pact as can_publish %}``: what to offer on a page, by the one permission mechanism."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.permissions import may as _may

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context: template.Context, permission: str, obj: Any = None) -> bool:
    request = context.get("request")
    return _may(getattr(request, "user", None), permission, obj)
