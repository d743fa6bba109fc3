"""The one way Trust Portal decides who may do what.

Every action is a named permission, ``<app>.<action>``, registered in its app's ``rules.py`` with a
django-rules predicate ``(user, obj) -> bool`` and a refusal that says who may do it. Three ways to ask,
and no other anywhere in the code:

- ``require(user, "pacts.publish_version", pact)`` in services: raises ``NotFound`` when the user may not
  even see ``obj`` (so a forbidden object is indistinguishable from a missing one), ``Forbidden`` with the
  refusal when they may see it but not do this.
- ``Model.objects.restrict(user, "view")`` in selectors: the queryset filtered, in SQL, to the rows the
  user may see (NetBox's ``RestrictedQuerySet``), before anything is fetched.
- ``may(user, perm, obj)`` (and the ``{% may %}`` template tag) to decide what to offer on a page.

A model's ``view`` permission and its ``view`` scope are registered together (``view_permission``); the
authorization matrix (tests/test_authorization_matrix.py) checks every route and role against both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import rules
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

from trust_portal.errors import Forbidden, NotFound

M = TypeVar("M", bound=models.Model)
Scope = Callable[[Any], Q]

_REFUSALS: dict[str, str] = {}
_VIEW_PERMISSIONS: dict[type[models.Model], str] = {}
_SCOPES: dict[tuple[type[models.Model], str], Scope] = {}


def permission(name: str, predicate: Any, refusal: str) -> None:
    """Register a permission: ``predicate(user, obj)`` decides; ``refusal`` is the 403 detail."""
    rules.set_perm(name, predicate)
    _REFUSALS[name] = refusal


def view_permission(model: type[models.Model], name: str, predicate: Any, scope: Scope) -> None:
    """Register who may see objects of ``model``: the object-level predicate and the same rule as a filter."""
    permission(name, predicate, f"You may not see this {model._meta.verbose_name}.")
    _VIEW_PERMISSIONS[model] = name
    _SCOPES[(model, "view")] = scope


def scope(model: type[models.Model], action: str, build: Scope) -> None:
    """Register a queryset filter for ``Model.objects.restrict(user, action)`` other than ``view``."""
    _SCOPES[(model, action)] = build


def may(user: Any, name: str, obj: Any = None) -> bool:
    if name not in _REFUSALS:
        raise ImproperlyConfigured(f"Unknown permission {name!r}: register it in its app's rules.py.")
    return bool(rules.has_perm(name, user, obj))


def can_view(user: Any, obj: Any) -> bool:
    name = _VIEW_PERMISSIONS.get(type(obj))
    return name is None or may(user, name, obj)


def require(user: Any, name: str, obj: Any = None, *, seen: bool = False) -> None:
    """NotFound if the user may not see ``obj``; Forbidden (naming who may) if they may not do ``name``.
    ``seen``: the caller has just checked ``can_view(user, obj)`` itself (to answer its own 404)."""
    if obj is not None and not seen and not can_view(user, obj):
        raise NotFound(f"No such {obj._meta.verbose_name}.")
    if not may(user, name, obj):
        raise Forbidden(_REFUSALS[name])


def refusal(name: str) -> str:
    return _REFUSALS[name]


def registered_permissions() -> list[str]:
    return sorted(_REFUSALS)


class RestrictedQuerySet(models.QuerySet[M]):
    """A queryset that can be cut down to what a user may see (or do) before any row is fetched."""

    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet[M]:
        build = _SCOPES.get((self.model, action))
        if build is None:
            raise ImproperlyConfigured(f"No {action!r} scope for {self.model.__name__}: register one in rules.py.")
        return self.filter(build(user))


NOTHING = Q(pk__in=[])  # a filter no row passes
EVERYTHING = Q()
