"""Panels verdicts add to other apps' pages: the clause status board and the evidence freshness timeline on the
agent page (``pacts.hooks.agent_panels``) and the home page's agents with their clauses' status."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from verdicts.charts import compliance_figure
from verdicts.selectors import shown, verdict_board, verdict_history


def clause_board(request: HttpRequest, agent: Any) -> dict[str, Any] | None:
    board = verdict_board(agent=agent, user=request.user)
    if not board:
        return None
    now = timezone.now()
    from verdicts.models import ClauseWarning

    warnings = {(w.pact_id, w.clause_id): w for w in ClauseWarning.objects.filter(agent=agent, cleared_at__isnull=True)}
    rows = []
    for index, item in enumerate(board):
        history = verdict_history(agent=agent, pact_id=item.pact.pk, clause_id=item.verdict.clause_id)[:2000]
        series = shown(reversed(history), user=request.user, agent=agent)
        clause = item.clause
        percent = bool(clause and clause.metric_kind == "binary" and clause.aggregation != "count" and not clause.unit)
        # A verdict withheld from this reader has no measured series to draw: its card says why instead.
        figure = (
            None
            if getattr(item.verdict, "withheld", False)
            else compliance_figure(
                title=f"{item.verdict.clause_id}",
                unit=clause.unit if clause else "",
                threshold=item.verdict.threshold,
                comparator=item.verdict.comparator,
                verdicts=series,
                now=now,
                percent=percent,
            )
        )
        warning = warnings.get((item.pact.pk, item.verdict.clause_id))
        rows.append(
            {
                "status": item,
                "figure": figure,
                "figure_id": f"figure-{index}",
                "percent": percent,
                "warning": warning,
                # the burn rate is derived from the values: withheld with them
                "warning_numbers": warning is not None and not getattr(item.verdict, "withheld", False),
            }
        )
    return {"template": "verdicts/_clause_board.html", "context": {"rows": rows, "agent": agent, "now": now}}


def freshness_timeline(request: HttpRequest, agent: Any) -> dict[str, Any] | None:
    """When evidence that counts for each clause in force was observed over its window, against the clause's maximum
    evidence age (``verdicts.freshness``): a chart and the same facts as a table; constant queries."""
    from evidence.selectors import can_see_restricted
    from verdicts.freshness import freshness_figure, freshness_lanes

    board = verdict_board(agent=agent, user=request.user)
    if not board:
        return None
    now = timezone.now()
    visible = can_see_restricted(user=request.user, agent=agent)
    lanes = freshness_lanes(board=board, now=now, can_see_restricted=visible)
    if not lanes:
        return None
    return {
        "template": "verdicts/_freshness_timeline.html",
        "context": {"lanes": lanes, "figure": freshness_figure(lanes, now=now), "agent": agent, "now": now},
    }


def home_agents(request: HttpRequest) -> dict[str, Any] | None:
    """Vendor home: your agents; buyer home: the agents you follow — each with its clauses' current status."""
    from collections import Counter

    from accounts.roles import signed_in_user
    from pacts.models import Agent
    from verdicts.models import Verdict

    user = signed_in_user(request)
    organization = user.organization
    if organization is not None and organization.is_vendor:
        agents = list(Agent.objects.filter(organization=organization).order_by("name"))
        title, empty = "Your agents", "register your first agent"
    else:
        agents = list(Agent.objects.filter(follows__user=user).select_related("organization").order_by("name"))
        title, empty = "Agents you follow", "follow agents from the directory"
    statuses: dict[int, Counter[str]] = {a.pk: Counter() for a in agents}
    for agent_id, status, disputed in Verdict.objects.filter(agent__in=agents, is_current=True).values_list(
        "agent_id", "status", "disputed"
    ):
        statuses[agent_id]["disputed" if disputed else status] += 1
    rows = [{"agent": a, "statuses": sorted(statuses[a.pk].items())} for a in agents]
    return {"template": "verdicts/_home_agents.html", "context": {"title": title, "rows": rows, "empty": empty}}
