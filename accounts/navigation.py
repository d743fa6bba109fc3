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
    NavEntry("Members", "accounts:organization", frozenset({Role.VENDOR, Role.BUYER})),
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
    entries = [(entry, reverse(entry.url_name)) for entry in NAV if role in entry.roles]
    matching = [url for _, url in entries if (path == url if url == "/" else path.startswith(url))]
    here = max(matching, key=len, default=None)  # /disputes/queue/ is the queue, not also "Disputes"
    return [NavItem(entry.label, url, url == here, badges.get(entry.url_name, 0)) for entry, url in entries]


# Home-page panels: apps register ``(roles, provider)``; provider(request) -> {"template", "context"} | None.
HOME_PANELS: list[tuple[frozenset[Role], object]] = []


def register_home_panel(roles: frozenset[Role], provider: object) -> None:
    if all(existing is not provider for _, existing in HOME_PANELS):
        HOME_PANELS.append((roles, provider))


def home_panels(role: Role, request: object) -> list[dict[str, object]]:
    panels = []
    for roles, provider in HOME_PANELS:
        if role in roles:
            panel = provider(request)  # type: ignore[operator]
            if panel:
                panels.append(panel)
    return panels
