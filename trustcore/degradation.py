"""Trust after degradation: every span in which an agent was still trusted while a critical clause failed.

Standard library only (the portal, a replay and an outsider run the same function).

Inputs, all UTC datetimes:

* ``failing``: per critical clause, the spans ``(start, end, clause_id)`` in which its computed status was
  ``breached`` or ``stale`` (end ``None``: still failing at ``now``);
* ``tiers``: the tier history, ``(at, tier)`` in time order (the tier held from ``at`` to the next change);
* ``decisions``: logged access decisions, ``(at, policy, allowed)``; a decision holds for its policy until that
  policy's next decision (or ``now``) — what a buyer acting on it would have done;
* ``grace``: per policy, the seconds of explicit grace it grants a failing critical clause (the report names
  those policies and why they show time).

Output: the intervals ``{"from", "to", "held", "clause", "policy", "within_grace"}`` in which a tier above
probation was held, or a decision allowed the agent, while a clause failed; ``held`` is the tier or ``"allow"``.
An allow inside the first ``grace[policy]`` seconds of a failure is marked ``within_grace`` (the policy said so);
the portal's decisions deny past it, so any other allowing time is a failure of the system.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

TRUSTED_TIERS = frozenset({"standard", "trusted"})  # above probation


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    held: str
    clause: str
    policy: int | None = None
    within_grace: bool = False  # inside the explicit grace the policy grants a failing critical clause

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def as_dict(self) -> dict[str, object]:
        return {
            "from": self.start,
            "to": self.end,
            "held": self.held,
            "clause": self.clause,
            "policy": self.policy,
            "within_grace": self.within_grace,
        }


def _spans(points: list[tuple[datetime, object]], now: datetime) -> list[tuple[datetime, datetime, object]]:
    """Step function → ``(start, end, value)`` spans, each value held until the next point (the last until now)."""
    ordered = sorted(points, key=lambda p: p[0])
    return [
        (at, ordered[i + 1][0] if i + 1 < len(ordered) else now, value)
        for i, (at, value) in enumerate(ordered)
        if (ordered[i + 1][0] if i + 1 < len(ordered) else now) > at
    ]


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> tuple[datetime, datetime] | None:
    start, end = max(a0, b0), min(a1, b1)
    return (start, end) if end > start else None


def intervals(
    *,
    failing: Iterable[tuple[datetime, datetime | None, str]],
    tiers: Iterable[tuple[datetime, str]],
    decisions: Iterable[tuple[datetime, int, bool]] = (),
    grace: Mapping[int, float] | None = None,
    now: datetime,
) -> list[Interval]:
    grace = grace or {}
    bad = [(start, end or now, clause) for start, end, clause in failing if (end or now) > start]
    found: list[Interval] = []
    for t0, t1, tier in _spans([(at, tier) for at, tier in tiers], now):
        if tier not in TRUSTED_TIERS:
            continue
        for f0, f1, clause in bad:
            hit = _overlap(t0, t1, f0, f1)
            if hit:
                found.append(Interval(hit[0], hit[1], str(tier), clause))
    by_policy: dict[int, list[tuple[datetime, object]]] = {}
    for at, policy, allowed in decisions:
        by_policy.setdefault(policy, []).append((at, allowed))
    for policy, points in by_policy.items():
        allowance = timedelta(seconds=grace.get(policy, 0.0))
        for d0, d1, allowing in _spans(points, now):
            if not allowing:
                continue
            for f0, f1, clause in bad:
                hit = _overlap(d0, d1, f0, f1)
                if not hit:
                    continue
                # split at the end of the policy's grace: before it the allow is the policy's stated choice
                edge = f0 + allowance
                if hit[0] < edge:
                    found.append(Interval(hit[0], min(hit[1], edge), "allow", clause, policy, within_grace=True))
                if hit[1] > edge:
                    found.append(Interval(max(hit[0], edge), hit[1], "allow", clause, policy))
    return sorted(found, key=lambda i: (i.start, i.policy or 0, i.clause))


def total_seconds(found: Iterable[Interval]) -> float:
    """The time covered by any interval (overlaps counted once)."""
    spans = sorted((i.start, i.end) for i in found)
    total, current_start, current_end = 0.0, None, None
    for start, end in spans:
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += (current_end - current_start).total_seconds()
    return total


def explain_grace(policy: int, seconds: float) -> str:
    hours = seconds / 3600
    return f"policy {policy} grants {hours:g} h of grace to a failing critical clause before it denies"
