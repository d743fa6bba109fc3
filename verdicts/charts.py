"""Compliance charts: measured value over time against the threshold, breached and stale periods shaded.

Built from the verdict series with Plotly and handed to the page as figure JSON (plotly.js is served
from the plotly package). Long series are downsampled on the server (``downsample``: first, last, and each
time slice's lowest and highest point), so a year of verdicts stays small and no dip disappears.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

MAX_POINTS = 400  # a clause card on the agent page
TRACE_POINT_LIMIT = 5000  # the most any trace is drawn with (a year of dense data on the compare chart)
SHADES = {
    "breached": "rgba(179, 38, 30, 0.14)",
    "stale": "rgba(138, 90, 0, 0.14)",
    "insufficient_evidence": "rgba(91, 100, 112, 0.10)",
}


def downsample(points: Sequence[tuple[datetime, float]], limit: int = MAX_POINTS) -> list[tuple[datetime, float]]:
    """At most ``limit`` of ``points`` (oldest first): the first and the last, and in each of ``(limit - 2) // 2``
    equal time slices its lowest and highest point, in time order. Extremes survive (a breach dip stays visible
    however long the series); one pass, no sort of the whole series. The one downsampler of every chart."""
    limit = max(4, min(limit, TRACE_POINT_LIMIT))
    if len(points) <= limit:
        return list(points)
    first, last = points[0], points[-1]
    slices = (limit - 2) // 2
    start = first[0]
    span = (last[0] - start).total_seconds() or 1.0
    lows: dict[int, tuple[datetime, float]] = {}
    highs: dict[int, tuple[datetime, float]] = {}
    for point in points[1:-1]:
        index = min(slices - 1, int((point[0] - start).total_seconds() / span * slices))
        low, high = lows.get(index), highs.get(index)
        if low is None or point[1] < low[1]:
            lows[index] = point
        if high is None or point[1] > high[1]:
            highs[index] = point
    out = [first]
    for index in sorted(lows):
        pair = {lows[index], highs[index]}
        out.extend(sorted(pair, key=lambda p: p[0]))
    out.append(last)
    return out


def periods(series: Sequence[tuple[datetime, str]], end: datetime) -> list[tuple[datetime, datetime, str]]:
    """Contiguous spans of a non-met status: (from, to, status)."""
    spans: list[tuple[datetime, datetime, str]] = []
    if not series:
        return spans
    for (moment, status), following in zip(series, [*series[1:], (end, "")], strict=True):
        if status in SHADES:
            if spans and spans[-1][2] == status and spans[-1][1] == moment:
                spans[-1] = (spans[-1][0], following[0], status)
            else:
                spans.append((moment, following[0], status))
    return spans


def compliance_figure(
    *,
    title: str,
    unit: str,
    threshold: float,
    comparator: str,
    verdicts: Sequence[Any],
    now: datetime,
    percent: bool = False,
    height: int = 240,
) -> dict[str, Any]:
    """The figure for one clause from its verdicts (oldest first)."""
    scale = 100.0 if percent else 1.0
    points = [(v.computed_at, v.measured * scale) for v in verdicts if v.measured is not None]
    shown = downsample(points)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[p[0] for p in shown],
            y=[p[1] for p in shown],
            mode="lines+markers",
            name="measured",
            line={"color": "#1f4fd1", "width": 2, "shape": "hv"},
            marker={"size": 4},
            hovertemplate="%{y:.4g}" + (" %" if percent else f" {unit}") + "<br>%{x|%Y-%m-%d %H:%M}<extra></extra>",
        )
    )
    if verdicts:
        # The threshold as it was at each moment: a new pact version may have moved it.
        steps = [(v.computed_at, v.threshold * scale) for v in verdicts]
        changes = (
            [steps[0]] + [s for previous, s in itertools.pairwise(steps) if s[1] != previous[1]] + [(now, steps[-1][1])]
        )
        figure.add_trace(
            go.Scatter(
                x=[s[0] for s in changes],
                y=[s[1] for s in changes],
                mode="lines",
                name="threshold",
                line={"color": "#b3261e", "dash": "dash", "width": 1.5, "shape": "hv"},
                hoverinfo="skip",
            )
        )
        figure.add_annotation(
            x=now,
            y=threshold * scale,
            xanchor="right",
            yanchor="bottom",
            showarrow=False,
            font={"size": 11, "color": "#b3261e"},
            text=f"threshold {comparator} {threshold * scale:g}{' %' if percent else (' ' + unit if unit else '')}",
        )
    for start, stop, status in periods([(v.computed_at, v.status) for v in verdicts], now):
        figure.add_vrect(x0=start, x1=stop, fillcolor=SHADES[status], line_width=0, layer="below")
    figure.update_layout(
        title={"text": title, "font": {"size": 13}},
        height=height,
        margin={"l": 48, "r": 12, "t": 36, "b": 32},
        showlegend=False,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        yaxis={"title": {"text": "%" if percent else unit}, "gridcolor": "#eef0f3", "zeroline": False},
        xaxis={"gridcolor": "#eef0f3"},
    )
    return json.loads(figure.to_json())  # type: ignore[no-any-return]
