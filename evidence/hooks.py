"""Extension points of evidence capture, filled by the apps that build on it (dependencies point one way).

``leaf_log``: the one function ``(canonical bytes of each record) -> first leaf index`` that appends
accepted records to the transparency log inside the ingest transaction (the records carry their index).
The verdicts app, which knows both evidence and the log, sets it (``verdicts.apps``).

``evidence_accepted``: functions ``(agent_id) -> None`` called inside the ingest transaction once the
records are stored; queue work with ``delay_on_commit`` (evaluation does).

``engaged``: functions ``(agent_id, organization_id) -> bool``: does this buyer organization engage this agent
now? Engagements live in reputation, which sets it (``reputation.apps``); the "engaged buyers" auto-approval of
access requests asks it (``evidence.access_requests``). With none installed, no buyer counts as engaged.
"""

from __future__ import annotations

from collections.abc import Callable

leaf_log: list[Callable[[list[bytes]], int]] = []
evidence_accepted: list[Callable[[int], None]] = []
engaged: list[Callable[[int, int], bool]] = []


def log_leaves(datas: list[bytes]) -> int | None:
    """Append the leaves through the registered log; None when no log is installed."""
    return leaf_log[0](datas) if leaf_log else None


def accepted(agent_id: int) -> None:
    for handler in evidence_accepted:
        handler(agent_id)


def is_engaged(agent_id: int, organization_id: int) -> bool:
    return any(check(agent_id, organization_id) for check in engaged)
