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
    NavEntry("API tokens", "accounts:tokens", SIGNED_IN),
    NavEntry("API docs", "api-docs", frozenset(Role)),
]


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def navigation_for(role: Role, path: str) -> list[NavItem]:
    items = []
    for entry in NAV:
        if role not in entry.roles:
            continue
        url = reverse(entry.url_name)
        current = path == url if url == "/" else path.startswith(url)
        items.append(NavItem(entry.label, url, current))
    return items
