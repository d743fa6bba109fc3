"""Compare 2–4 agents side by side: tiers, scores with bounds, and the clauses of their pacts in force aligned by
metric name, from public data only (what anyone may see, so a shared link shows every reader the same thing).

``compare_agents`` returns the body of ``GET /api/v1/compare/?agents=a,b`` (the page and the diligence report
read it too); ``compare_history`` the compliance series behind the page's chart. Both take a constant number of
queries, whatever the number of agents compared or the evidence behind them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from pacts.models import Agent, PactClause, PactVersion
from reputation.models import Reputation
from trust_portal.errors import InvalidQuery
from trustcore.score import ALGORITHM
from verdicts.models import Verdict
from verdicts.selectors import shown

MIN_AGENTS, MAX_AGENTS = 2, 4
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")
HISTORY_DAYS = 365
PUBLIC = AnonymousUser()  # whose eyes the comparison is made with: restricted values are withheld for everyone


def parse_slugs(raw: str | Iterable[str]) -> list[str]:
    """``a,b,c`` (or repeated values, as a form of checkboxes sends them) → the slugs, in order; a 400 naming
    ``agents`` unless there are 2 to 4 distinct, well-formed slugs."""
    values = [raw] if isinstance(raw, str) else list(raw)
    if sum(len(v) for v in values) > MAX_AGENTS * 81 + 16:
        raise InvalidQuery(f"agents: at most {MAX_AGENTS} agent slugs.", field="agents")
    slugs = [part.strip() for value in values for part in value.split(",")]
    if slugs == [""]:
        slugs = []
    if any(not SLUG.fullmatch(s) for s in slugs):
        raise InvalidQuery(
            "agents must be agent slugs separated by commas, e.g. refund-bot,code-reviewer.", field="agents"
        )
    if not MIN_AGENTS <= len(slugs) <= MAX_AGENTS:
        raise InvalidQuery(f"agents: compare {MIN_AGENTS} to {MAX_AGENTS} agents, not {len(slugs)}.", field="agents")
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        raise InvalidQuery(f"agents: {', '.join(duplicates)} named more than once.", field="agents")
    return slugs


def _agents(*, user: Any, slugs: Sequence[str]) -> list[Agent]:
    """The agents in the order asked, each with its reputation; a 400 naming ``agents`` for any the user may not
    see (unknown and invisible alike)."""
    found = {
        a.slug: a
        for a in Agent.objects.restrict(user, "view")
        .select_related("organization", "reputation")
        .filter(slug__in=slugs)
    }
    missing = [s for s in slugs if s not in found]
    if missing:
        raise InvalidQuery(f"agents: no agent {', '.join(missing)}.", field="agents")
    return [found[s] for s in slugs]


def _reputation(agent: Agent, now: datetime) -> Reputation:
    try:
        return agent.reputation  # type: ignore[attr-defined,no-any-return]
    except Reputation.DoesNotExist:
        return Reputation(agent=agent, algorithm=ALGORITHM, computed_at=now)  # never scored: the defaults


def _current_verdicts(agents: Sequence[Agent]) -> dict[int, list[Verdict]]:
    by_agent: dict[int, list[Verdict]] = {a.pk: [] for a in agents}
    verdicts = (
        Verdict.objects.filter(agent__in=agents, is_current=True)
        .exclude(pact_version__status=PactVersion.Status.RETIRED)  # a retired pact promises nothing any more
        .select_related("pact")
        .order_by("pact_id", "id")
    )
    for verdict in verdicts:
        by_agent[verdict.agent_id].append(verdict)
    return by_agent


def _clauses(verdicts: Iterable[Verdict]) -> dict[tuple[int, str], PactClause]:
    versions = {v.pact_version_id for v in verdicts}
    return {(c.version_id, c.clause_id): c for c in PactClause.objects.filter(version_id__in=versions)}


def _clause_row(verdict: Verdict, clause: PactClause | None) -> dict[str, Any]:
    withheld = bool(getattr(verdict, "withheld", False))
    return {
        "metric": clause.metric if clause else verdict.clause_id,
        "status": verdict.shown_status,
        "measured": verdict.measured,
        "threshold": verdict.threshold,
        "comparator": verdict.comparator,
        "clause_id": verdict.clause_id,
        "title": clause.title if clause else "",
        "unit": clause.unit if clause else "",
        "percent": bool(
            clause and clause.metric_kind == "binary" and clause.aggregation != "count" and not clause.unit
        ),
        "severity": clause.severity if clause else "",
        "pact": verdict.pact_id,
        "pact_title": verdict.pact.title,
        "samples": verdict.samples,
        "freshest_at": verdict.freshest_at.isoformat() if verdict.freshest_at else None,
        "computed_at": verdict.computed_at.isoformat(),
        "withheld": withheld,
    }


def compare_agents(*, user: Any, slugs: Sequence[str] | str, now: datetime | None = None) -> dict[str, Any]:
    """The comparison of 2–4 agents (``GET /api/v1/compare/`` answers exactly this):

    ``{"agents": [{"agent", "name", "vendor", "tier", "score", "lower_bound", "consequence_level",
    "clauses": [{"metric", "status", "measured", "threshold", …}]}], "metrics": [...], "computed_at"}``

    ``slugs`` is a list or the ``a,b,c`` text; anything but 2–4 distinct slugs of agents ``user`` may see is an
    ``InvalidQuery`` naming ``agents``. Values resting on restricted evidence are withheld for every reader, as
    ``verdicts.selectors.shown`` withholds them from the public (``withheld`` says so, ``measured`` is null).
    ``metrics``: every metric any of them measures, in order of first appearance — the rows of the table.
    Three queries whatever the agents and their evidence.
    """
    now = now or timezone.now()
    names = parse_slugs(slugs) if isinstance(slugs, str) else parse_slugs(list(slugs))
    agents = _agents(user=user, slugs=names)
    current = _current_verdicts(agents)
    clauses = _clauses(v for vs in current.values() for v in vs)
    rows, metrics = [], []
    for agent in agents:
        reputation = _reputation(agent, now)
        verdicts = shown(current[agent.pk], user=PUBLIC, agent=agent)
        clause_rows = [_clause_row(v, clauses.get((v.pact_version_id, v.clause_id))) for v in verdicts]
        for row in clause_rows:
            if row["metric"] not in metrics:
                metrics.append(row["metric"])
        rows.append(
            {
                "agent": agent.slug,
                "name": agent.name,
                "vendor": {"slug": agent.organization.slug, "name": agent.organization.name},
                "tier": reputation.tier,
                "score": reputation.score,
                "lower_bound": reputation.lower_bound,
                "tier_since": reputation.tier_since.isoformat() if reputation.pk else None,
                "consequence_level": agent.consequence_level,
                "clauses": clause_rows,
                "summary": _summary(clause_rows),
            }
        )
    return {"agents": rows, "metrics": metrics, "computed_at": now.isoformat()}


def _summary(clauses: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts = {"met": 0, "breached": 0, "stale": 0, "disputed": 0, "insufficient_evidence": 0}
    for clause in clauses:
        counts[clause["status"]] = counts.get(clause["status"], 0) + 1
    return counts


def _display(value: float | None, clause: dict[str, Any]) -> str:
    if value is None:
        return ""
    if clause["percent"]:
        return f"{value * 100:.4g} %"
    return f"{value:.4g}" + (f" {clause['unit']}" if clause["unit"] else "")


def aligned(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The table of the page: one row per metric, one cell per agent (the clauses of that agent measuring it,
    usually one; none when it promises nothing about it), each clause with its values as the page shows them."""
    return [
        {
            "metric": metric,
            "cells": [
                [
                    {**c, "shown_measured": _display(c["measured"], c), "shown_threshold": _display(c["threshold"], c)}
                    for c in a["clauses"]
                    if c["metric"] == metric
                ]
                for a in body["agents"]
            ],
        }
        for metric in body["metrics"]
    ]


@dataclass(frozen=True)
class Series:
    """One compliance trace: an agent's measured value of one clause over time (oldest first), public data only."""

    agent: str
    metric: str
    clause_id: str
    percent: bool
    points: list[tuple[datetime, float]]
    threshold: float
    comparator: str


def compare_history(
    *, body: dict[str, Any], user: Any, now: datetime | None = None, days: int = HISTORY_DAYS
) -> list[Series]:
    """The verdict series of every compared clause over the last ``days`` (one query): the chart's traces.

    A point resting on restricted evidence is left out (its measured value is withheld from the public)."""
    now = now or timezone.now()
    agents = {
        a.slug: a for a in Agent.objects.restrict(user, "view").filter(slug__in=[a["agent"] for a in body["agents"]])
    }
    wanted = {
        (agents[a["agent"]].pk, c["pact"], c["clause_id"]): (a["agent"], c)
        for a in body["agents"]
        if a["agent"] in agents
        for c in a["clauses"]
    }
    points: dict[tuple[int, int, str], list[tuple[datetime, float]]] = {key: [] for key in wanted}
    rows = (
        Verdict.objects.filter(agent_id__in=[key[0] for key in wanted], computed_at__gte=now - timedelta(days=days))
        .filter(measured__isnull=False, rests_on_restricted=False)
        .order_by("computed_at", "id")
        .values_list("agent_id", "pact_id", "clause_id", "computed_at", "measured")
    )
    for agent_id, pact_id, clause_id, at, measured in rows.iterator(chunk_size=5000):
        series = points.get((agent_id, pact_id, clause_id))
        if series is not None and measured is not None:
            series.append((at, measured))
    out = []
    for key, (slug, clause) in wanted.items():
        scale = 100.0 if clause["percent"] else 1.0
        out.append(
            Series(
                agent=slug,
                metric=clause["metric"],
                clause_id=clause["clause_id"],
                percent=clause["percent"],
                points=[(at, value * scale) for at, value in points[key]],
                threshold=clause["threshold"] * scale,
                comparator=clause["comparator"],
            )
        )
    return out


COLOURS = ("#1f4fd1", "#b3261e", "#1b7a3d", "#8a5a00")


def compare_figure(
    *, series: Sequence[Series], agents: Sequence[str], metrics: Sequence[str], now: datetime
) -> dict[str, Any]:
    """The compare chart: one panel per metric, all on one shared time axis, one trace per agent and clause
    (downsampled to at most ``TRACE_POINT_LIMIT`` points), each agent's threshold dashed in its colour."""
    import json

    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from verdicts.charts import TRACE_POINT_LIMIT, downsample

    drawn = [m for m in metrics if any(s.metric == m and s.points for s in series)] or list(metrics[:1])
    figure = make_subplots(
        rows=max(1, len(drawn)), cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=drawn or None
    )
    colour = {slug: COLOURS[i % len(COLOURS)] for i, slug in enumerate(agents)}
    shown_in_legend: set[str] = set()
    for row, metric in enumerate(drawn, start=1):
        for s in (s for s in series if s.metric == metric):
            points = downsample(s.points, TRACE_POINT_LIMIT)
            unit = " %" if s.percent else ""
            figure.add_trace(
                go.Scatter(
                    x=[p[0] for p in points],
                    y=[p[1] for p in points],
                    mode="lines",
                    name=s.agent,
                    legendgroup=s.agent,
                    showlegend=s.agent not in shown_in_legend,
                    line={"color": colour.get(s.agent, "#5b6470"), "width": 2, "shape": "hv"},
                    hovertemplate=f"{s.agent} · {s.clause_id}<br>%{{y:.4g}}{unit}<br>%{{x|%Y-%m-%d %H:%M}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
            shown_in_legend.add(s.agent)
            if points:
                figure.add_trace(
                    go.Scatter(
                        x=[points[0][0], now],
                        y=[s.threshold, s.threshold],
                        mode="lines",
                        name=f"{s.agent} threshold",
                        legendgroup=s.agent,
                        showlegend=False,
                        line={"color": colour.get(s.agent, "#5b6470"), "width": 1, "dash": "dash"},
                        hovertemplate=f"{s.agent} threshold {s.comparator} {s.threshold:g}{unit}<extra></extra>",
                    ),
                    row=row,
                    col=1,
                )
    figure.update_layout(
        height=max(260, 220 * len(drawn) + 60),
        margin={"l": 52, "r": 12, "t": 40, "b": 32},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    figure.update_xaxes(gridcolor="#eef0f3")
    figure.update_yaxes(gridcolor="#eef0f3", zeroline=False)
    return json.loads(figure.to_json())  # type: ignore[no-any-return]
