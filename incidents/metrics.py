"""The four failure metrics, as pure functions over incident rows (``incidents.selectors.metric_rows``).

A row is a mapping with ``id``, ``agent``, ``vendor``, ``visible_at``, ``signal_at`` (or None), ``status``,
``has_postmortem``, ``broken_assumption`` (bool), ``weakness`` (a slug or ""), ``changed_operating_model``
(a linked operating-model change) and ``claimed_change`` (any operating-model change, linked or not).

1. **Time from first missed signal to visible failure**: ``visible_at - signal_at`` of the incidents that have a
   first missed signal; the median, the 90th percentile (linear interpolation between closest ranks, the
   "inclusive" definition: numpy's default) and the distribution in fixed buckets.
2. **Broken-assumption share**: incidents whose postmortem names the broken assumption, over all incidents (an
   incident not analysed yet counts as not identified: that is what the share measures).
3. **Repeat-incident rate sharing a structural weakness**: of the incidents with a structural weakness, those
   that had an earlier incident (by ``visible_at``) with the same weakness on the same agent (``by="agent"``) or
   the same vendor (``by="vendor"``) at most ``window_days`` before. Earlier incidents may lie before the period.
4. **Operating-model change share**: of the closed incidents with a postmortem, those with at least one
   remediation that changed the operating model *and is linked to the pact version or policy revision that made
   the change*; a change claimed with no link only changed the story (``claimed_change_share`` counts those too).

Shares are None when there is nothing to divide by.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

Row = Mapping[str, Any]

HOUR, DAY = 3600, 86400
BUCKETS: list[tuple[str, float, float]] = [
    ("under 1 h", 0, HOUR),
    ("1–6 h", HOUR, 6 * HOUR),
    ("6–24 h", 6 * HOUR, DAY),
    ("1–3 days", DAY, 3 * DAY),
    ("3–7 days", 3 * DAY, 7 * DAY),
    ("7–14 days", 7 * DAY, 14 * DAY),
    ("14–30 days", 14 * DAY, 30 * DAY),
    ("30 days or more", 30 * DAY, math.inf),
]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def lead_seconds(rows: Iterable[Row]) -> list[float]:
    return [(row["visible_at"] - row["signal_at"]).total_seconds() for row in rows if row.get("signal_at") is not None]


def time_to_visible_failure(rows: Iterable[Row]) -> dict[str, Any]:
    values = lead_seconds(rows)
    return {
        "median_seconds": percentile(values, 50),
        "p90_seconds": percentile(values, 90),
        "count": len(values),
        "distribution": [
            {
                "label": label,
                "min_seconds": low,
                "max_seconds": None if high == math.inf else high,
                "count": sum(1 for v in values if low <= v < high),
            }
            for label, low, high in BUCKETS
        ],
    }


def broken_assumption_share(rows: Sequence[Row]) -> float | None:
    return share(sum(1 for row in rows if row["broken_assumption"]), len(rows))


def repeats(rows: Sequence[Row], history: Sequence[Row], *, by: str = "agent", window_days: int = 90) -> list[Row]:
    """The rows (incidents in the period) that repeat a structural weakness seen earlier in ``history`` (which
    includes the period's own rows and may reach back before it) on the same agent or vendor within the window."""
    window = timedelta(days=window_days)
    key = "agent" if by == "agent" else "vendor"
    found = []
    for row in rows:
        if not row["weakness"]:
            continue
        for earlier in history:
            if (
                earlier["id"] != row["id"]
                and earlier["weakness"] == row["weakness"]
                and earlier[key] == row[key]
                and (earlier["visible_at"], earlier["id"]) < (row["visible_at"], row["id"])
                and row["visible_at"] - earlier["visible_at"] <= window
            ):
                found.append(row)
                break
    return found


def repeat_weakness_rate(
    rows: Sequence[Row], history: Sequence[Row] | None = None, *, by: str = "agent", window_days: int = 90
) -> float | None:
    with_weakness = [row for row in rows if row["weakness"]]
    return share(
        len(repeats(rows, history if history is not None else rows, by=by, window_days=window_days)), len(with_weakness)
    )


def operating_model_change_share(rows: Sequence[Row], *, claimed: bool = False) -> float | None:
    analysed = [row for row in rows if row["status"] == "closed" and row["has_postmortem"]]
    counted = "claimed_change" if claimed else "changed_operating_model"
    return share(sum(1 for row in analysed if row[counted]), len(analysed))


def in_period(rows: Iterable[Row], start: datetime | None, end: datetime | None) -> list[Row]:
    return [
        row
        for row in rows
        if (start is None or row["visible_at"] >= start) and (end is None or row["visible_at"] < end)
    ]


def compute(
    history: Sequence[Row],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str = "agent",
    window_days: int = 90,
) -> dict[str, Any]:
    """All four metrics over the incidents of ``[start, end)``; ``history`` may reach back further (repeats)."""
    rows = in_period(history, start, end)
    weakened = [row for row in rows if row["weakness"]]
    repeated = repeats(rows, history, by=by, window_days=window_days)
    closed = [row for row in rows if row["status"] == "closed" and row["has_postmortem"]]
    return {
        "time_to_visible_failure": time_to_visible_failure(rows),
        "broken_assumption_share": broken_assumption_share(rows),
        "repeat_weakness_rate": share(len(repeated), len(weakened)),
        "repeat_weakness": {
            "by": by,
            "window_days": window_days,
            "repeats": len(repeated),
            "with_weakness": len(weakened),
            "repeated_incidents": [row["id"] for row in repeated],
        },
        "operating_model_change_share": operating_model_change_share(rows),
        "claimed_change_share": operating_model_change_share(rows, claimed=True),
        "postmortems_closed": len(closed),
        "incidents": len(rows),
        "by_status": {
            status: sum(1 for row in rows if row["status"] == status) for status in ("open", "analysing", "closed")
        },
        "by_weakness": _by_weakness(rows, {row["id"] for row in repeated}),
    }


def _by_weakness(rows: Sequence[Row], repeated: set[int]) -> list[dict[str, Any]]:
    slugs = sorted({row["weakness"] for row in rows if row["weakness"]})
    return [
        {
            "weakness": slug,
            "incidents": sum(1 for row in rows if row["weakness"] == slug),
            "repeats": sum(1 for row in rows if row["weakness"] == slug and row["id"] in repeated),
        }
        for slug in slugs
    ]
