"""``figure_table``: a Plotly figure's data in words, for the table beside every chart (its accessible alternative):
per trace its points (every one when few, else the count, the span and the extremes), and the shaded periods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from verdicts.charts import SHADES

register = template.Library()
EVERY_POINT = 12  # a trace with at most this many points is listed point by point
SHADE_NAMES = {colour: status.replace("_", " ") for status, colour in SHADES.items()}


def _when(x: Any) -> str:
    if isinstance(x, str):
        try:
            return datetime.fromisoformat(x).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return x
    return str(x)


def _number(y: Any) -> str:
    return f"{y:.4g}" if isinstance(y, int | float) else str(y)


@register.filter
def figure_table(figure: dict[str, Any] | None) -> list[dict[str, Any]]:
    """[{"series", "points", "from", "to", "low", "high", "last", "each": [(x, y), …]}] and the shaded periods."""
    rows: list[dict[str, Any]] = []
    if not figure:
        return rows
    # Subplots (one panel per metric): their titles are the paper-anchored annotations, one per y axis, in order.
    axes = sorted({t.get("yaxis", "y") for t in figure.get("data", [])}, key=lambda a: int(a[1:] or 1))
    titles = [a.get("text", "") for a in figure.get("layout", {}).get("annotations", []) if a.get("yref") == "paper"]
    panel = dict(zip(axes, titles, strict=True)) if len(axes) > 1 and len(titles) == len(axes) else {}
    for trace in figure.get("data", []):
        xs, ys = trace.get("x") or [], trace.get("y") or []
        if not isinstance(xs, list) or not isinstance(ys, list):
            continue
        pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if x is not None and y is not None]
        if not pairs:
            continue
        numbers = [y for _, y in pairs if isinstance(y, int | float)]
        name = trace.get("name") or "series"
        if trace.get("yaxis", "y") in panel:
            name = f"{panel[trace.get('yaxis', 'y')]}: {name}"
        rows.append(
            {
                "series": name,
                "points": len(pairs),
                "from": _when(pairs[0][0]),
                "to": _when(pairs[-1][0]),
                "low": _number(min(numbers)) if numbers else "—",
                "high": _number(max(numbers)) if numbers else "—",
                "last": _number(pairs[-1][1]),
                "each": [(_when(x), _number(y)) for x, y in pairs] if len(pairs) <= EVERY_POINT else [],
            }
        )
    for shape in figure.get("layout", {}).get("shapes", []) or []:
        status = SHADE_NAMES.get(shape.get("fillcolor", ""))
        if status and shape.get("x0") is not None:
            rows.append({"series": f"{status} period", "from": _when(shape["x0"]), "to": _when(shape.get("x1"))})
    return rows
