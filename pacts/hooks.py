"""Extension points of the pacts app, filled by apps that build on it (dependencies point one way).

``version_published``: functions ``(version) -> None`` called inside the publishing transaction (queue
work with ``delay_on_commit``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

version_published: list[Callable[[Any], None]] = []

# ``agent_panels``: functions ``(request, agent) -> dict | None`` returning {"template": …, "context": {…}} for a
# panel shown on the agent page under its pacts (the evidence app adds the clause status board).
agent_panels: list[Callable[[Any, Any], dict[str, Any] | None]] = []
