"""The comparison page, ``/compare/?agents=a,b[,c,d]``: the same body as the API (``reputation.compare``), as a
table of clauses aligned by metric, the agents' tiers and scores, and their compliance on one time axis."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from pacts.models import Agent
from reputation.compare import (
    COLOURS,
    MAX_AGENTS,
    MIN_AGENTS,
    aligned,
    compare_agents,
    compare_figure,
    compare_history,
)
from trust_portal.errors import InvalidQuery

PICKER_LIMIT = 200


def _link(slugs: list[str]) -> str:
    return "?" + urlencode({"agents": ",".join(slugs)}) if slugs else "?"


@require_safe
def compare_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    asked = [s.strip() for v in request.GET.getlist("agents") for s in v.split(",") if s.strip()]
    context: dict[str, object] = {"asked": asked, "min": MIN_AGENTS, "max": MAX_AGENTS}
    status = 200
    try:
        body = compare_agents(user=request.user, slugs=request.GET.getlist("agents"), now=now)
    except InvalidQuery as error:
        body = None
        context["error"] = str(error)
        status = 400
    if body is not None:
        slugs = [a["agent"] for a in body["agents"]]
        series = compare_history(body=body, user=request.user, now=now)
        context.update(
            {
                "body": body,
                "heads": [
                    {**a, "colour": COLOURS[i % len(COLOURS)], "without": _link([s for s in slugs if s != a["agent"]])}
                    for i, a in enumerate(body["agents"])
                ],
                "rows": aligned(body),
                "figure": compare_figure(series=series, agents=slugs, metrics=body["metrics"], now=now),
                "has_series": any(s.points for s in series),
                "share": request.build_absolute_uri(request.path + _link(slugs)),
                "api": "/api/v1/compare/" + _link(slugs),
            }
        )
        asked = slugs
    context["can_add"] = len(asked) < MAX_AGENTS
    context["kept"] = ",".join(asked)
    context["choices"] = list(
        Agent.objects.restrict(request.user, "view")
        .exclude(slug__in=asked)
        .order_by("name")
        .values("slug", "name")[:PICKER_LIMIT]
    )
    return render(request, "reputation/compare.html", context, status=status)
