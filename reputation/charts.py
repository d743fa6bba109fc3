"""Trust charts: the score and its lower bound over time (a sparkline on the agent page, a full chart on the
"why this score" page), with the tier bars and each tier's period shaded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from trustcore.score import BOUND_TIERS

TIER_COLOURS = {
    "suspended": "rgba(179, 38, 30, 0.16)",
    "unverified": "rgba(91, 100, 112, 0.10)",
    "probation": "rgba(138, 90, 0, 0.12)",
    "standard": "rgba(19, 74, 142, 0.08)",
    "trusted": "rgba(27, 122, 61, 0.10)",
}


def score_figure(
    *, events: Sequence[Any], changes: Sequence[Any], now: datetime, height: int = 140, sparkline: bool = True
) -> dict[str, Any]:
    """Figure JSON: score and lower bound after every event (oldest first); tier periods shaded."""
    ordered = sorted(events, key=lambda e: (e.at, e.pk or 0))
    figure = go.Figure()
    if ordered:
        xs = [e.at for e in ordered] + [now]
        figure.add_scatter(
            x=xs,
            y=[e.score for e in ordered] + [ordered[-1].score],
            name="score",
            mode="lines",
            line={"shape": "hv", "color": "#1f5fbf", "width": 2},
        )
        figure.add_scatter(
            x=xs,
            y=[e.lower_bound for e in ordered] + [ordered[-1].lower_bound],
            name="lower bound",
            mode="lines",
            line={"shape": "hv", "color": "#5b6470", "width": 1, "dash": "dot"},
        )
    flips = sorted(changes, key=lambda c: (c.at, c.pk or 0))
    for change, following in zip(flips, [*flips[1:], None], strict=False):
        figure.add_vrect(
            x0=change.at,
            x1=following.at if following else now,
            fillcolor=TIER_COLOURS.get(change.new, "white"),
            line_width=0,
            layer="below",
        )
    if not sparkline:
        for tier, minimum in BOUND_TIERS:
            figure.add_hline(
                y=minimum,
                line={"color": "#8a5a00", "dash": "dash", "width": 1},
                annotation_text=f"{tier} ≥ {minimum:g}",
                annotation_position="top left",
            )
    figure.update_layout(
        height=height,
        margin={"l": 30 if sparkline else 50, "r": 10, "t": 10, "b": 25},
        showlegend=not sparkline,
        yaxis={"range": [0, 100], "title": None if sparkline else "score"},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
    )
    return json.loads(figure.to_json())  # type: ignore[no-any-return]
