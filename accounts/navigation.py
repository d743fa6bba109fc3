"""Navigation per role. Apps add their entries to ``NAV`` as they land."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.roles import Role

SIGNED_IN = frozenset({Role.VENDOR, Role.BUYER, Role.ARBITER, Role.STAFF, Role.UNASSIGNED})


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[Role]


NAV: list[NavEntry] = [
    NavEntry("Home", "home", frozenset(Role)),
    NavEntry("Notifications", "accounts:notifications", SIGNED_IN),
    NavEntry("API tokens", "accounts:tokens", SIGNED_IN),
    NavEntry("API docs", "api-docs", frozenset(Role)),
]


def register(label: str, url_name: str, roles: frozenset[Role], *, position: int | None = None) -> None:
    """Called from an app's ``ready()`` to add its pages to the navigation (once)."""
    entry = NavEntry(label, url_name, roles)
    if entry in NAV:
        return
    NAV.insert(len(NAV) if position is None else position, entry)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool
    badge: int = 0


def navigation_for(role: Role, path: str, badges: dict[str, int] | None = None) -> list[NavItem]:
    badges = badges or {}
    items = []
    for entry in NAV:
        if role not in entry.roles:
            continue
        url = reverse(entry.url_name)
        current = path == url if url == "/" else path.startswith(url)
        items.append(NavItem(entry.label, url, current, badges.get(entry.url_name, 0)))
    return items
