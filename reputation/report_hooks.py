"""Hooks of the diligence report (reputation.report): what later apps add to it, filled from their ``ready()``.

``rulings``: callables ``(*, user, agent) -> list[dict]`` returning the agent's rulings as ``user`` may read them
(disputes: the precedent's redacted form), JSON-ready or with datetimes; the report lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

rulings: list[Callable[..., list[dict[str, Any]]]] = []
