"""The failure dashboard's figures (Plotly JSON the page embeds; plotly.js is served locally): the distribution
of time from first missed signal to visible failure, the shares, and incidents per structural weakness."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from incidents.metrics import DAY

LAYOUT = {
    "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "height": 260,
}


def _json(figure: go.Figure) -> dict[str, Any]:
    return json.loads(figure.to_json())  # type: ignore[no-any-return]


def lead_figure(body: dict[str, Any], lead_seconds: Sequence[float]) -> dict[str, Any]:
    """Buckets of lead time, with the median and p90 marked (days)."""
    distribution = body["time_to_visible_failure"]["distribution"]
    figure = go.Figure()
    figure.add_bar(
        x=[b["label"] for b in distribution],
        y=[b["count"] for b in distribution],
        name="incidents",
        marker_color="#1f5fbf",
    )
    figure.update_layout(
        **LAYOUT, yaxis={"title": "incidents", "rangemode": "tozero"}, xaxis={"title": "signal → failure"}
    )
    if lead_seconds:
        figure.add_annotation(
            text=f"median {body['time_to_visible_failure']['median_seconds'] / DAY:.1f} d · "
            f"p90 {body['time_to_visible_failure']['p90_seconds'] / DAY:.1f} d",
            xref="paper",
            yref="paper",
            x=1,
            y=1,
            showarrow=False,
            xanchor="right",
        )
    return _json(figure)


def shares_figure(body: dict[str, Any]) -> dict[str, Any]:
    labels = ["broken assumption identified", "repeat weakness", "changed the operating model", "claimed a change"]
    values = [
        body["broken_assumption_share"],
        body["repeat_weakness_rate"],
        body["operating_model_change_share"],
        body["claimed_change_share"],
    ]
    figure = go.Figure()
    figure.add_bar(
        x=[round(v * 100, 1) if v is not None else 0 for v in values],
        y=labels,
        orientation="h",
        marker_color=["#1b7a3d", "#b3261e", "#1b7a3d", "#8a5a00"],
        text=[f"{v * 100:.0f} %" if v is not None else "n/a" for v in values],
        textposition="auto",
    )
    figure.update_layout(
        **{**LAYOUT, "margin": {"l": 200, "r": 10, "t": 10, "b": 40}}, xaxis={"range": [0, 100], "title": "%"}
    )
    return _json(figure)


def weakness_figure(body: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    rows = body["by_weakness"]
    labels = [names.get(r["weakness"], r["weakness"]) for r in rows]
    figure = go.Figure()
    figure.add_bar(
        x=labels, y=[r["incidents"] - r["repeats"] for r in rows], name="first of its kind", marker_color="#5b6470"
    )
    figure.add_bar(x=labels, y=[r["repeats"] for r in rows], name="repeat", marker_color="#b3261e")
    figure.update_layout(
        **LAYOUT, barmode="stack", legend={"orientation": "h", "y": -0.3}, yaxis={"title": "incidents"}
    )
    return _json(figure)


TIER_ORDER = ("suspended", "unverified", "probation", "standard", "trusted")
STATUS_COLOURS = {"met": "#1b7a3d", "breached": "#b3261e", "stale": "#8a5a00", "insufficient_evidence": "#5b6470"}


def replay_figure(timeline: dict[str, Any]) -> dict[str, Any]:
    """Both histories on one chart: the tier as a step line (actual solid, replayed dashed) and each clause's
    status changes as markers on a lane of its own below (actual circles, replayed crosses)."""
    end = timeline.get("to")
    figure = go.Figure()
    clauses = sorted(
        {e["clause"] for side in ("actual", "replayed") for e in timeline.get(side, []) if e["kind"] == "verdict"}
    )
    for side, dash, colour in (("actual", "solid", "#1f5fbf"), ("replayed", "dash", "#b3261e")):
        tiers = [e for e in timeline.get(side, []) if e["kind"] == "tier"]
        if tiers:
            xs = [e["at"] for e in tiers] + ([end] if end else [])
            ys = [TIER_ORDER.index(e["value"]) for e in tiers] + ([TIER_ORDER.index(tiers[-1]["value"])] if end else [])
            figure.add_scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"shape": "hv", "dash": dash, "color": colour, "width": 2},
                name=f"tier ({side})",
            )
        for lane, clause in enumerate(clauses):
            events = [e for e in timeline.get(side, []) if e["kind"] == "verdict" and e["clause"] == clause]
            figure.add_scatter(
                x=[e["at"] for e in events],
                y=[-1 - lane - (0.2 if side == "replayed" else 0)] * len(events),
                mode="markers",
                marker={
                    "symbol": "circle" if side == "actual" else "x",
                    "size": 9,
                    "color": [STATUS_COLOURS.get(e["value"], "#5b6470") for e in events],
                },
                text=[f"{clause}: {e['value'].replace('_', ' ')} ({side})" for e in events],
                hoverinfo="text+x",
                name=f"{clause} ({side})",
                showlegend=False,
            )
    figure.update_layout(
        **{**LAYOUT, "height": 320 + 30 * len(clauses), "margin": {"l": 140, "r": 10, "t": 10, "b": 40}},
        legend={"orientation": "h", "y": -0.2},
        yaxis={
            "tickvals": [*range(len(TIER_ORDER)), *(-1 - i for i in range(len(clauses)))],
            "ticktext": [*TIER_ORDER, *clauses],
            "range": [-1.5 - len(clauses), len(TIER_ORDER) - 0.5],
        },
    )
    return _json(figure)
