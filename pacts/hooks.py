"""Extension points of the pacts app, filled by apps that build on it (dependencies point one way).

``version_published``: functions ``(version) -> None`` called inside the publishing transaction (queue
work with ``delay_on_commit``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

version_published: list[Callable[[Any], None]] = []
