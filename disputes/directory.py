"""What disputes add to the agent directory (``pacts.hooks.directory_columns``): the number of open disputes
about each agent, as a sortable column and an upper-bound filter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from rest_framework import serializers

from disputes.models import Dispute
from pacts.hooks import DirectoryColumn, DirectoryFilter, DirectoryProvider


def annotate(agents: QuerySet[Any], now: datetime) -> QuerySet[Any]:
    open_ = Dispute.objects.open().filter(agent=OuterRef("pk")).order_by().values("agent").annotate(n=Count("pk"))
    return agents.annotate(open_disputes=Coalesce(Subquery(open_.values("n")), 0))


def _cell(agent: Any) -> str:
    n = agent.open_disputes
    return format_html(
        '<span class="chip {}" data-testid="dir-disputes">{}</span>', "chip-warn" if n else "chip-neutral", n
    )


PROVIDER = DirectoryProvider(
    name="disputes",
    annotate=annotate,
    columns=(
        DirectoryColumn(
            name="disputes",
            label="Disputes",
            sort=("open_disputes",),
            cell=_cell,
            api=lambda: {"open_disputes": serializers.IntegerField(read_only=True)},
            position=46,
            title="Open disputes: about the agent, not yet closed, withdrawn or settled",
        ),
    ),
    filters=(
        DirectoryFilter(
            name="max_open_disputes",
            label="At most open disputes",
            field=lambda: serializers.IntegerField(
                min_value=0,
                max_value=2**53 - 1,
                required=False,
                help_text="Only agents with at most this many open disputes",
            ),
            apply=lambda agents, value, user: agents.filter(open_disputes__lte=value),
        ),
    ),
)
