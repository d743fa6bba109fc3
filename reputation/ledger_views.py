"""Pages of engagements (buyers start and end them; vendors see their agents') and the consequence ledger
(filters, totals per currency, pay and waive for the vendor's owners)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import may, require
from accounts.roles import signed_in_user
from pacts.models import Agent, Pact
from reputation.engagements import (
    EngagementConflict,
    EngagementInvalid,
    engagement_get,
    engagement_list,
    engagement_start,
)
from reputation.engagements import (
    engagement_end as engagement_end_service,
)
from reputation.ledger import (
    TRANSITIONS,
    LedgerTransitionRefused,
    ledger_entry_get,
    ledger_entry_pay,
    ledger_entry_waive,
    ledger_list,
    ledger_totals,
    totals_of,
)
from reputation.ledger_forms import EngagementForm, LedgerFilterForm, NoteForm
from reputation.models import LedgerEntry
from trust_portal.web import paginate


def _engagements_context(request: HttpRequest, form: EngagementForm) -> dict[str, Any]:
    user = signed_in_user(request)
    engagements = engagement_list(user=user)
    page = paginate(request, engagements)
    for engagement in page.object_list:
        engagement.can_end = engagement.status != "ended" and may(user, "reputation.end_engagement", engagement)  # type: ignore[attr-defined]
    return {"page": page, "form": form, "can_start": may(user, "reputation.start_engagement")}


@login_required
@require_http_methods(["GET", "POST"])
def engagements(request: HttpRequest) -> HttpResponse:
    """The engagements the user's organization has (buyers), or of its agents (vendors); buyer owners start one."""
    user = signed_in_user(request)
    if request.method == "POST":
        require(user, "reputation.start_engagement")  # before the form is read
        form = EngagementForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            agent = Agent.objects.filter(slug=data["agent"]).first()
            pact = Pact.objects.filter(pk=data["pact"], agent=agent).first() if data["pact"] and agent else None
            if agent is None:
                form.add_error("agent", f"No agent {data['agent']!r}.")
            elif data["pact"] and pact is None:
                form.add_error("pact", f"{agent.name} has no pact {data['pact']}.")
            else:
                try:
                    engagement = engagement_start(
                        user=user,
                        agent=agent,
                        monthly_fee=str(data["monthly_fee"]),
                        currency=data["currency"],
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        pact=pact,
                    )
                except (EngagementInvalid, EngagementConflict) as error:
                    form.add_error(error.field if error.field in form.fields else None, error.detail)
                else:
                    messages.success(
                        request,
                        f"{engagement.buyer.name} engages {agent.name} under pact v{engagement.pact_version.number}.",
                    )
                    return redirect("reputation:engagements")
        return render(request, "reputation/engagements.html", _engagements_context(request, form), status=400)
    form = EngagementForm(initial={"agent": request.GET.get("agent", "")[:80]})
    return render(request, "reputation/engagements.html", _engagements_context(request, form))


@login_required
@require_POST
def engagement_end(request: HttpRequest, engagement_id: int) -> HttpResponse:
    user = signed_in_user(request)
    engagement = engagement_get(user=user, engagement_id=engagement_id)
    try:
        engagement = engagement_end_service(user=user, engagement=engagement)
    except EngagementConflict as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"The engagement of {engagement.agent.name} has ended.")
    return redirect("reputation:engagements")


@login_required
@require_safe
def ledger(request: HttpRequest) -> HttpResponse:
    """The user's own ledger entries, filtered, with totals per currency; the vendor's owners pay or waive."""
    user = signed_in_user(request)
    filters = LedgerFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    entries = ledger_list(
        user=user,
        status=chosen.get("status", ""),
        agent=chosen.get("agent", ""),
        currency=chosen.get("currency", ""),
    )
    page = paginate(request, entries)
    for entry in page.object_list:
        _offer(user, entry)
    context = {
        "filters": filters,
        "page": page,
        "totals": ledger_totals(entries),
        "page_totals": totals_of(page.object_list),
        "statuses": LedgerEntry.Status.choices,
    }
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "reputation/ledger.html#ledger-results", context)
    return render(request, "reputation/ledger.html", context, status=400 if filters.errors else 200)


def _offer(user: Any, entry: LedgerEntry) -> None:
    settles = may(user, "reputation.settle_ledger_entry", entry)
    entry.can_pay = settles and entry.status in TRANSITIONS[LedgerEntry.Status.PAID]  # type: ignore[attr-defined]
    entry.can_waive = settles and entry.status in TRANSITIONS[LedgerEntry.Status.WAIVED]  # type: ignore[attr-defined]


@login_required
@require_POST
def ledger_transition(request: HttpRequest, entry_id: int, action: str) -> HttpResponse:
    """pay or waive one entry (the vendor's owners); a refused transition says the entry's current state."""
    user = signed_in_user(request)
    entry = ledger_entry_get(user=user, entry_id=entry_id)
    require(user, "reputation.settle_ledger_entry", entry)  # before the form is read
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"].strip() if form.is_valid() else ""
    error = ""
    if action == "waive" and not note:
        error = "Say why the credit is waived (the note is recorded on the entry)."
    else:
        try:
            if action == "pay":
                entry = ledger_entry_pay(user=user, entry=entry, note=note)
            else:
                entry = ledger_entry_waive(user=user, entry=entry, note=note)
        except LedgerTransitionRefused as refused:
            error = refused.detail
    if request.htmx:  # type: ignore[attr-defined]
        entry.refresh_from_db()
        _offer(user, entry)
        # 200 either way: htmx swaps only successful responses, and the row says what was refused.
        return render(request, "reputation/ledger.html#ledger-row", {"entry": entry, "row_error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Service credit of {entry.amount} {entry.currency} marked {entry.status}.")
    return redirect(request.POST["next"] if _safe_next(request) else reverse("reputation:ledger"))


def _safe_next(request: HttpRequest) -> bool:
    target = request.POST.get("next", "")
    return target.startswith("/ledger/") and "//" not in target
