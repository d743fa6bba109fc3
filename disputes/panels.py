"""What disputes add to other apps' pages: the home page's queue summary (arbiters, staff) and open disputes
(parties), the agent page's disputes and public rulings, and the words and link for a score event or tier change a
ruling caused (the "why this score" page)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import can_view
from accounts.roles import signed_in_user
from disputes.models import Party, Ruling, Status
from disputes.selectors import arbiter_queue, dispute_list, precedent_search

HOME_ROWS = 5
AGENT_ROWS = 10


def home_queue(request: HttpRequest) -> dict[str, Any] | None:
    """An arbiter signs in to something to do: their docket and the unassigned disputes, soonest deadline first."""
    from disputes.views import with_clock

    user = signed_in_user(request)
    now = timezone.now()
    mine = arbiter_queue(user=user, mine=True)
    waiting = arbiter_queue(user=user)
    rows = [with_clock(d, now) for d in [*mine[:HOME_ROWS], *waiting[:HOME_ROWS]]][: HOME_ROWS * 2]
    return {
        "template": "disputes/_home_queue.html",
        "context": {
            "mine": mine.count() if user.is_arbiter else 0,
            "waiting": waiting.count(),
            "overdue": arbiter_queue(user=user, mine=user.is_arbiter, overdue=True).count(),
            "rows": rows,
            "is_arbiter": bool(user.is_arbiter),
        },
    }


def home_disputes(request: HttpRequest) -> dict[str, Any] | None:
    """A party's open disputes, those waiting for its answer first; nothing when it has none."""
    from disputes.views import with_clock

    user = signed_in_user(request)
    organization = user.organization
    if organization is None:
        return None
    disputes = dispute_list(user=user, open_only=True)
    awaiting = disputes.filter(
        Q(status=Status.AWAITING_RESPONSE, respondent=organization)
        | Q(status=Status.INFO_REQUESTED, info_party=Party.CLAIMANT, claimant=organization)
        | Q(status=Status.INFO_REQUESTED, info_party=Party.RESPONDENT, respondent=organization)
    )
    total = disputes.count()
    if not total:
        return None
    now = timezone.now()
    waiting_ids = set(awaiting.values_list("pk", flat=True)[:50])
    rows = sorted(disputes[:20], key=lambda d: (d.pk not in waiting_ids, d.due_by or now))[:HOME_ROWS]
    for row in rows:
        with_clock(row, now)
        row.awaits_you = row.pk in waiting_ids  # type: ignore[attr-defined]
    return {
        "template": "disputes/_home_disputes.html",
        "context": {"total": total, "awaiting": len(waiting_ids), "rows": rows},
    }


def agent_disputes(request: HttpRequest, agent: Any) -> dict[str, Any]:
    """The agent page's disputes: how many are open (public, as in the directory), the open ones the reader may see,
    and the agent's standing rulings as precedent shows them to the reader (redacted where due). Four queries."""
    from accounts.permissions import may
    from disputes.views import public, with_clock

    now = timezone.now()
    visible = dispute_list(user=request.user, agent=agent.slug, open_only=True)
    rows = [with_clock(d, now) for d in visible[:AGENT_ROWS]]
    rulings = [public(r, request.user) for r in precedent_search(user=request.user, agent=agent.slug)[:AGENT_ROWS]]
    open_total = getattr(agent, "open_disputes", None)
    return {
        "template": "disputes/_agent_disputes.html",
        "context": {
            "agent": agent,
            "open_total": len(rows) if open_total is None else open_total,
            "rows": rows,
            "more": len(rows) == AGENT_ROWS,
            "rulings": rulings,
            "can_file": getattr(request.user, "is_authenticated", False) and may(request.user, "disputes.file", agent),
        },
    }


def ruling_links(ids: list[int], user: Any) -> dict[int, tuple[str, str]]:
    """``{ruling id: (url, "ruling #N (upheld) on clause X")}``: the dispute's page when the reader may see it,
    the precedent search when the ruling is public, no link otherwise."""
    found: dict[int, tuple[str, str]] = {}
    for ruling in Ruling.objects.filter(pk__in=ids).select_related("dispute"):
        words = f"ruling #{ruling.pk} ({ruling.get_outcome_display().lower()})"
        words += f" on clause {ruling.clause_id}" if ruling.clause_id else f" on dispute #{ruling.dispute_id}"
        if can_view(user, ruling.dispute):
            url = reverse("disputes:detail", args=[ruling.dispute_id]) + f"#ruling-{ruling.pk}"
        elif ruling.dispute.status == Status.CLOSED:
            url = reverse("disputes:precedent") + f"?clause_id={ruling.clause_id}#ruling-{ruling.pk}"
        else:
            url = ""
        found[ruling.pk] = (url, words)
    return found
