"""The evidence freshness timeline of the agent page: for each clause in force, on which days evidence that may
count for it was observed over its window, and the spans where the freshest such evidence was older than the
clause's ``max_evidence_age_days`` (the clause was stale).

It reads the day metric buckets kept at ingest (one row per metric, day and evidence key: a constant number of
rows whatever the evidence volume) in one query, never the records. A day bucket knows its oldest and newest
observation, and a clause's maximum age is a whole number of days, so the gaps between consecutive observations
are known to within the day and a stale span is never missed. Restricted evidence has no bucket of its own: a
clause whose current verdict rests on restricted evidence shows a reader who may not see that evidence no
timeline (as the clause board withholds its measurements), and a timeline never reaches before its clause's window.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import plotly.graph_objects as go

from evidence.models import MetricBucket
from trustcore.evaluator import ClauseSpec, Key, day_start, refusal
from verdicts.charts import downsample

MAX_WINDOW_DAYS = 365  # the longest window a lane is drawn over
LANE_POINTS = 120  # observation days per lane, at most (verdicts.charts.downsample keeps each slice's extremes)
FRESH, STALE = "#1e7b46", "#9a6400"


@dataclass
class Lane:
    """One clause's row of the timeline."""

    clause_id: str
    title: str
    max_age_days: int
    start: datetime
    withheld: bool = False
    days: list[tuple[datetime, int]] = field(default_factory=list)  # (newest observation of the day, records)
    observations: list[datetime] = field(default_factory=list)  # every day's oldest and newest, in time order
    refused_records: int = 0
    stale: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(n for _, n in self.days)

    @property
    def freshest(self) -> datetime | None:
        return self.observations[-1] if self.observations else None

    def stale_days(self) -> float:
        return sum((b - a).total_seconds() for a, b in self.stale) / 86400


def stale_spans(
    observations: Sequence[datetime], *, start: datetime, end: datetime, max_age: timedelta
) -> list[tuple[datetime, datetime]]:
    """Where, between ``start`` and ``end``, the freshest observation so far was older than ``max_age``. Before the
    first observation the lane counts from ``start`` (evidence before the window does not count for the clause)."""
    spans: list[tuple[datetime, datetime]] = []
    previous = start
    for moment in [*observations, end]:
        moment = min(max(moment, start), end)
        if moment - previous > max_age:
            spans.append((previous + max_age, moment))
        previous = max(previous, moment)
    return spans


def freshness_lanes(*, board: Sequence[Any], now: datetime, can_see_restricted: bool) -> list[Lane]:
    """The lanes of the clauses on the clause board (``verdicts.selectors.verdict_board``): one query."""
    lanes: list[tuple[Lane, ClauseSpec]] = []
    for item in board:
        clause = item.clause
        if clause is None:
            continue
        spec = ClauseSpec.from_row(clause.as_row())
        lane = Lane(
            clause_id=clause.clause_id,
            title=clause.title,
            max_age_days=clause.max_evidence_age_days,
            start=now - timedelta(days=min(clause.window_days, MAX_WINDOW_DAYS)),
            withheld=bool(item.verdict.rests_on_restricted) and not can_see_restricted,
        )
        lanes.append((lane, spec))
    drawn = [(lane, spec) for lane, spec in lanes if not lane.withheld]
    if drawn:
        earliest = day_start(min(lane.start for lane, _ in drawn))
        buckets = (
            MetricBucket.objects.filter(
                agent_id=board[0].verdict.agent_id,
                span=MetricBucket.Span.DAY,
                metric__in={spec.metric for _, spec in drawn},
                start__gte=earliest,
            )
            .order_by("start")
            .values_list(
                "metric",
                "start",
                "newest",
                "oldest",
                "records",
                "kind",
                "task",
                "task_version",
                "dataset_hash",
                "scorer",
                "signed",
                "counts",
            )
        )
        rows = list(buckets)
        for lane, spec in drawn:
            per_day: dict[datetime, list[Any]] = {}
            for metric, start, newest, oldest, records, kind, task, version, dataset, scorer, signed, counts in rows:
                if metric != spec.metric or newest < lane.start or oldest > now:
                    continue
                if refusal(spec, Key(kind, task, version, dataset, scorer, signed, counts)) is not None:
                    lane.refused_records += records
                    continue
                first = oldest if oldest >= lane.start else newest  # what the day saw before the window is not drawn
                day = per_day.setdefault(start, [newest, first, 0])
                day[0], day[1], day[2] = max(day[0], newest), min(day[1], first), day[2] + records
            for newest, oldest, records in per_day.values():
                lane.days.append((min(newest, now), records))
                lane.observations.extend(sorted({oldest, min(newest, now)}))
            lane.observations.sort()
            lane.stale = stale_spans(
                lane.observations, start=lane.start, end=now, max_age=timedelta(days=lane.max_age_days)
            )
    return [lane for lane, _ in lanes]


def freshness_figure(lanes: Sequence[Lane], *, now: datetime) -> dict[str, Any] | None:
    """One lane per clause: a marker on each day evidence that counts was observed (its size: how many records),
    the lane green while that evidence was fresh and amber where it was older than the clause allows."""
    drawn = [lane for lane in lanes if not lane.withheld]
    if not drawn:
        return None
    figure = go.Figure()
    for lane in drawn:
        fresh_x: list[Any] = []
        previous = lane.start
        for a, b in [*lane.stale, (now, now)]:
            if a > previous:
                fresh_x.extend([previous, a, None])
            previous = b
        stale_x: list[Any] = [x for a, b in lane.stale for x in (a, b, None)]
        for xs, colour, name in ((fresh_x, FRESH, "fresh"), (stale_x, STALE, "stale")):
            if xs:
                figure.add_trace(
                    go.Scatter(
                        x=xs,
                        y=[lane.clause_id if x is not None else None for x in xs],
                        mode="lines",
                        line={"color": colour, "width": 8},
                        name=name,
                        hoverinfo="skip",
                        connectgaps=False,
                    )
                )
        points = downsample(sorted(lane.days), LANE_POINTS)
        figure.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[lane.clause_id] * len(points),
                mode="markers",
                name="evidence",
                marker={
                    "color": "#1f4fd1",
                    "size": [max(8.0, min(16.0, 6 + 2 * (p[1] ** 0.25))) for p in points],
                    "line": {"color": "#0f172a", "width": 1},
                },
                customdata=[p[1] for p in points],
                hovertemplate="%{customdata} record(s), newest observed %{x|%Y-%m-%d %H:%M}<extra>%{y}</extra>",
            )
        )
    figure.update_layout(
        height=max(140, 56 + 42 * len(drawn)),
        margin={"l": 120, "r": 12, "t": 12, "b": 32},
        showlegend=False,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        xaxis={"gridcolor": "#eef0f3", "range": [min(lane.start for lane in drawn), now]},
        yaxis={"type": "category", "autorange": "reversed", "gridcolor": "#ffffff"},
    )
    return json.loads(figure.to_json())  # type: ignore[no-any-return]
