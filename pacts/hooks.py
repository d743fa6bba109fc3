"""Extension points of the pacts app, filled by apps that build on it (dependencies point one way).

``version_published``: functions ``(version) -> None`` called inside the publishing transaction (queue
work with ``delay_on_commit``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

version_published: list[Callable[[Any], None]] = []

# ``agent_panels``: functions ``(request, agent) -> dict | None`` returning {"template": …, "context": {…}} for a
# panel shown on the agent page under its pacts (the evidence app adds the clause status board).
agent_panels: list[Callable[[Any, Any], dict[str, Any] | None]] = []


# ``directory_columns``: what later apps add to the agent directory (``pacts.selectors.agent_list``, the page and
# ``GET /api/v1/agents/``). Each ``DirectoryProvider`` annotates the agent queryset with subqueries (never a query
# per agent), and declares its columns (sortable by an annotation, rendered by a function of the row) and its
# filters (a query parameter parsed by a DRF field, applied to the queryset). Reputation adds tier and score,
# verdicts the clause summary and evidence freshness, disputes the open disputes.


@dataclass(frozen=True)
class DirectoryColumn:
    """One column: ``name`` is its ``?sort=`` key (``-name`` descending), ``sort`` the annotations or fields ordered
    by (empty: not sortable), ``cell(agent) -> html`` what the page shows, ``api`` the output fields it adds
    (``{name: DRF field}``, read from the annotations), ``position`` where it goes among the built-in columns."""

    name: str
    label: str
    sort: tuple[str, ...]
    cell: Callable[[Any], str]
    api: Callable[[], dict[str, Any]] = dict
    position: int = 50
    title: str = ""


@dataclass(frozen=True)
class DirectoryFilter:
    """One filter: the query parameter ``name``, parsed by ``field()`` (a DRF field: a bad value is a 400 naming
    it), applied by ``apply(agents, value, user)``; ``choices(user)`` the page's options ([(value, label)], empty
    for free text)."""

    name: str
    label: str
    field: Callable[[], Any]
    apply: Callable[[Any, Any, Any], Any]
    choices: Callable[[Any], list[tuple[str, str]]] = lambda user: []
    note: str = ""


@dataclass(frozen=True)
class DirectoryProvider:
    name: str
    annotate: Callable[[Any, datetime], Any]
    columns: tuple[DirectoryColumn, ...] = ()
    filters: tuple[DirectoryFilter, ...] = ()


directory_columns: list[DirectoryProvider] = []


def register_directory(provider: DirectoryProvider) -> None:
    """Add or replace (by name: ``ready()`` may run twice) a provider of directory columns."""
    directory_columns[:] = [p for p in directory_columns if p.name != provider.name] + [provider]
