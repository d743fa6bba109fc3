"""What verdicts add to the agent directory (``pacts.hooks.directory_columns``): the clause summary (current
verdicts met / breached / stale / disputed under pacts in force) and the age of the freshest public evidence,
as sortable columns, with filters on both. Public data: the same for every reader."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from rest_framework import serializers

from evidence.models import EvidenceRecord, Visibility
from pacts.hooks import DirectoryColumn, DirectoryFilter, DirectoryProvider
from pacts.models import PactVersion
from verdicts.models import Verdict

STATUSES = {
    "met": Q(status=Verdict.Status.MET, disputed=False),
    "breached": Q(status=Verdict.Status.BREACHED, disputed=False),
    "stale": Q(status=Verdict.Status.STALE, disputed=False),
    "disputed": Q(disputed=True),
}
CHIPS = {"met": "chip-ok", "breached": "chip-bad", "stale": "chip-warn", "disputed": "chip-info"}
CLAUSE_FILTERS = {
    "all_met": "every clause met",
    "any_breached": "a clause breached",
    "any_stale": "a clause stale",
    "any_disputed": "a clause disputed",
}


def _count(condition: Q) -> Any:
    current = (
        Verdict.objects.filter(condition, agent=OuterRef("pk"), is_current=True)
        .exclude(pact_version__status=PactVersion.Status.RETIRED)  # a retired pact promises nothing any more
        .order_by()
        .values("agent")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(current), 0)


def annotate(agents: QuerySet[Any], now: datetime) -> QuerySet[Any]:
    # the newest public record's time: an index range scan of one row (evidence_agent_public_time), not a MAX over
    # every record of the agent (bench/pages.py: 240 ms an agent at 1M records, 0.01 ms with this)
    freshest = (
        EvidenceRecord.objects.filter(agent=OuterRef("pk"), visibility=Visibility.PUBLIC)
        .order_by("-observed_to")
        .values("observed_to")[:1]
    )
    counts = {f"clauses_{name}": _count(condition) for name, condition in STATUSES.items()}
    counts["clauses_total"] = _count(Q())
    return agents.annotate(**counts, freshest_evidence_at=Subquery(freshest))


def _status_cell(name: str) -> Any:
    def cell(agent: Any) -> str:
        n = getattr(agent, f"clauses_{name}")
        chip = CHIPS[name] if n else "chip-neutral muted-chip"
        return format_html('<span class="chip {}" data-testid="dir-{}" title="{} {}">{}</span>', chip, name, n, name, n)

    return cell


def _freshness_cell(agent: Any) -> str:
    at = agent.freshest_evidence_at
    if at is None:
        return mark_safe('<span class="muted" data-testid="dir-fresh">none</span>')
    return format_html(
        '<time datetime="{}" title="{} UTC" data-testid="dir-fresh">{} ago</time>',
        at.isoformat(),
        at.strftime("%Y-%m-%d %H:%M"),
        timesince(at, timezone.now()).split(",")[0],
    )


def _clauses_filter(agents: QuerySet[Any], value: str, user: Any) -> QuerySet[Any]:
    if value == "all_met":
        return agents.filter(clauses_total__gt=0, clauses_met=F("clauses_total"))
    return agents.filter(**{f"clauses_{value.removeprefix('any_')}__gt": 0})


def _fresh_filter(agents: QuerySet[Any], days: int, user: Any) -> QuerySet[Any]:
    return agents.filter(freshest_evidence_at__gte=timezone.now() - timedelta(days=days))


def _api_counts() -> dict[str, Any]:
    return {f"clauses_{name}": serializers.IntegerField(read_only=True) for name in (*STATUSES, "total")}


PROVIDER = DirectoryProvider(
    name="verdicts",
    annotate=annotate,
    columns=(
        *(
            DirectoryColumn(
                name=name,
                label=name.capitalize(),
                sort=(f"clauses_{name}",),
                cell=_status_cell(name),
                api=_api_counts if name == "met" else dict,
                position=40 + i,
                title=f"Clauses of the pacts in force whose current verdict is {name}",
            )
            for i, name in enumerate(STATUSES)
        ),
        DirectoryColumn(
            name="fresh",
            label="Evidence",
            sort=("freshest_evidence_at",),
            cell=_freshness_cell,
            api=lambda: {"freshest_evidence_at": serializers.DateTimeField(read_only=True, allow_null=True)},
            position=45,
            title="How long ago the newest public evidence record was observed",
        ),
    ),
    filters=(
        DirectoryFilter(
            name="clauses",
            label="Clauses",
            field=lambda: serializers.ChoiceField(
                choices=list(CLAUSE_FILTERS.items()), required=False, help_text="Only agents whose clauses are so"
            ),
            apply=_clauses_filter,
            choices=lambda user: list(CLAUSE_FILTERS.items()),
        ),
        DirectoryFilter(
            name="fresh_within_days",
            label="Evidence within (days)",
            field=lambda: serializers.IntegerField(
                min_value=1, max_value=36500, required=False, help_text="Only agents with public evidence this recent"
            ),
            apply=_fresh_filter,
        ),
    ),
)
