"""Trust pages: why an agent has its score and tier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from pacts.selectors import agent_get
from reputation.charts import score_figure
from reputation.models import SourceType
from reputation.selectors import reputation_of, score_events, tier_changes
from reputation.services import half_life_days
from trustcore.score import BOUND_TIERS, SEVERITY_WEIGHTS
from verdicts.models import Verdict

# Sources a later app explains (disputes: a ruling, linking its dispute), registered from its ready():
# {source_type: describe(ids, user) -> {id: (url or "", words)}}.
source_links: dict[str, Callable[[list[int], Any], dict[int, tuple[str, str]]]] = {}


@require_safe
def score_why(request: HttpRequest, slug: str) -> HttpResponse:
    """Every score event (what moved it, by how much, linking the verdict behind it) and the tier history."""
    agent = agent_get(user=request.user, slug=slug)
    now = timezone.now()
    events = score_events(user=request.user, agent=agent)
    changes = list(tier_changes(user=request.user, agent=agent)[:500])
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    verdict_ids = [e.source_id for e in page.object_list if e.source_type == SourceType.VERDICT and e.source_id]
    clauses = dict(
        (pk, (pact_id, clause_id))
        for pk, pact_id, clause_id in Verdict.objects.filter(pk__in=verdict_ids).values_list(
            "pk", "pact_id", "clause_id"
        )
    )
    for event in page.object_list:
        found = clauses.get(event.source_id or 0) if event.source_type == SourceType.VERDICT else None
        event.clause_url = reverse("verdicts:clause", args=[agent.slug, *found]) if found else ""  # type: ignore[attr-defined]
    explained: list[Any] = [*page.object_list, *changes]
    for source_type, describe in source_links.items():
        items = [i for i in explained if i.source_type == source_type and i.source_id]
        links = describe([i.source_id for i in items], request.user) if items else {}
        for item in items:
            item.source_link = links.get(item.source_id)  # type: ignore[attr-defined]
    context = {
        "agent": agent,
        "reputation": reputation_of(user=request.user, agent=agent),
        "page": page,
        "changes": changes,
        "severity_weights": SEVERITY_WEIGHTS,
        "bound_tiers": BOUND_TIERS,
        "half_life": half_life_days(),
        "figure": score_figure(events=history, changes=changes, now=now, height=320, sparkline=False)
        if (history := list(events[:2000]))
        else None,
    }
    return render(request, "reputation/score.html", context)
