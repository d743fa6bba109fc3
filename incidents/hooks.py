"""Where later work plugs into incidents.

``signal_sources``: extra sources of missed signals for ``incidents.missed_signals.derive``. Each is called as
``source(agent_id=…, clauses=[(pact_id, clause_id), …], start=…, end=…)`` and returns ``Signal`` rows (any
order) seen on those clauses in ``[start, end]``. Early warnings (``verdicts`` burn-rate warnings, being built
separately) register theirs here, with ``type="warning"``; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

signal_sources: list[Callable[..., list[Any]]] = []
