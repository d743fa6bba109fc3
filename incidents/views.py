"""Incident pages: the list, the report form (prefilled from ?verdict=, ?ruling= or ?tier_change=), the incident
page (the timeline with notes beside it, the first missed signal, the postmortem, the viewer's actions), the
postmortem form with its remediation items, and the failure dashboard. Reads through ``incidents.selectors``,
writes through ``incidents.services``; a refusal is shown on the form with its own status (400, 403, 409)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import may, require
from accounts.roles import signed_in_user
from accounts.rules import acts_as_staff, organization_id_of
from incidents import charts, forms, metrics, selectors, services
from incidents.models import Incident, OriginType, StructuralWeakness, TimelineNote
from incidents.rules import engaging
from pacts.models import Agent
from trust_portal.errors import DomainError, NotFound
from trust_portal.web import add_errors_to_form, paginate


@require_safe
def incident_list(request: HttpRequest) -> HttpResponse:
    filters = forms.FilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    incidents = selectors.incident_list(user=request.user, **{k: v for k, v in chosen.items() if v})
    page = paginate(request, incidents)
    context = {"filters": filters, "page": page, "can_report": may(request.user, "incidents.create")}
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "incidents/list.html#results", context)
    return render(request, "incidents/list.html", context, status=400 if filters.errors else 200)


def _reportable_agents(user: Any) -> list[tuple[str, str]]:
    """The agents the user may report on: their vendor's, those their organization engages; all for staff."""
    agents = Agent.objects.order_by("name")
    if not acts_as_staff(user):
        org_id = organization_id_of(user)
        if org_id is None:
            return []
        agents = agents.filter(organization_id=org_id) | agents.filter(pk__in=engaging(org_id).values("agent_id"))
    return [(a.slug, a.name) for a in agents.distinct()]


ORIGIN_PARAMS = {"verdict": OriginType.VERDICT, "ruling": OriginType.RULING, "tier_change": OriginType.TIER_CHANGE}


def _origin_initial(request: HttpRequest, user: Any) -> dict[str, Any]:
    for param, origin_type in ORIGIN_PARAMS.items():
        raw = request.GET.get(param, "")
        if raw:
            if not raw.isdigit() or len(raw) > 15:
                raise NotFound(f"No such {param.replace('_', ' ')}.")
            prefill = selectors.origin_prefill(user=user, origin_type=origin_type, origin_id=int(raw))
            agent = prefill.pop("agent")
            return {
                **prefill,
                "agent": agent.slug,
                "visible_at": prefill["visible_at"].strftime("%Y-%m-%d %H:%M:%S"),
                "clauses": ", ".join(prefill["clauses"]),
                "disputes": ",".join(str(d) for d in prefill["disputes"]),
                "rulings": ",".join(str(r) for r in prefill["rulings"]),
                "origin_type": origin_type,
                "origin_id": int(raw),
                "lookback_days": 30,
            }
    initial: dict[str, Any] = {"lookback_days": 30}
    if request.GET.get("agent"):
        initial["agent"] = request.GET["agent"][:80]
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, "incidents.create")
    agents = _reportable_agents(user)
    initial = _origin_initial(request, user) if request.method == "GET" else {}
    owned_agent = Agent.objects.filter(slug=(request.POST or initial).get("agent", "")).first()
    may_publish = owned_agent is not None and may(user, "incidents.publish", Incident(agent=owned_agent))
    form = forms.IncidentForm(
        request.POST if request.method == "POST" else None, initial=initial, agents=agents, may_publish=may_publish
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            agent = Agent.objects.get(slug=data["agent"])  # one of the choices offered
            origin = (data["origin_type"], data["origin_id"]) if data["origin_type"] and data["origin_id"] else None
            try:
                incident = services.incident_create(
                    user=user,
                    agent=agent,
                    title=data["title"],
                    severity=data["severity"],
                    visible_at=data["visible_at"],
                    detected_by=data["detected_by"],
                    clauses=data["clauses"],
                    disputes=data["disputes"],
                    rulings=data["rulings"],
                    owner=data["owner"] or None,
                    public=data.get("public", False),
                    lookback_days=data["lookback_days"],
                    origin=origin,
                )
            except DomainError as error:
                add_errors_to_form(form, error)
                status = error.status
            else:
                messages.success(request, f"Incident #{incident.pk} reported.")
                return redirect("incidents:detail", incident.pk)
    context = {"form": form, "origin": initial.get("origin_type"), "no_agents": not agents}
    return render(request, "incidents/new.html", context, status=status)


def _detail_context(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    incident = selectors.incident_get(user=request.user, incident_id=incident_id)
    actions = selectors.actions_for(request.user, incident)
    return {
        "incident": incident,
        "postmortem": selectors.postmortem_of(incident),
        "timeline": selectors.timeline(user=request.user, incident=incident),
        "actions": actions,
        "signal_link": selectors.shown_signal_link(request.user, incident),
        "note_form": forms.NoteForm() if "note" in actions else None,
        "signal_form": forms.SignalForm() if "first-missed-signal" in actions else None,
        "user_id": getattr(request.user, "pk", None),
    }


@require_safe
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    return render(request, "incidents/detail.html", _detail_context(request, incident_id))


ACTIONS = {
    "analyse": "incidents.analyse",
    "close": "incidents.close",
    "publish": "incidents.publish",
    "unpublish": "incidents.publish",
    "signal": "incidents.analyse",
    "derive": "incidents.analyse",
    "note": "incidents.note",
}


@login_required
@require_POST
def incident_action(request: HttpRequest, incident_id: int, action: str) -> HttpResponse:
    user = signed_in_user(request)
    incident = Incident.objects.restrict(user, "view").select_related("agent").filter(pk=incident_id).first()
    if incident is None or action not in ACTIONS:
        raise NotFound("No such incident.")
    require(user, ACTIONS[action], incident)
    form: Any = None
    try:
        if action == "analyse":
            services.incident_start_analysis(user=user, incident=incident)
        elif action == "close":
            services.incident_close(user=user, incident=incident, note=request.POST.get("note", "")[:1000])
        elif action in ("publish", "unpublish"):
            services.incident_set_public(user=user, incident=incident, public=action == "publish")
        elif action == "derive":
            services.signal_rederive(user=user, incident=incident)
        elif action == "signal":
            form = forms.SignalForm(request.POST)
            if not form.is_valid():
                return _detail_with(request, incident_id, signal_form=form, status=400)
            services.signal_set(user=user, incident=incident, **form.cleaned_data)
        elif action == "note":
            form = forms.NoteForm(request.POST)
            if not form.is_valid():
                return _detail_with(request, incident_id, note_form=form, status=400)
            services.note_add(user=user, incident=incident, **form.cleaned_data)
    except DomainError as error:
        if form is not None:
            add_errors_to_form(form, error)
            key = "signal_form" if action == "signal" else "note_form"
            return _detail_with(request, incident_id, status=error.status, **{key: form})
        return _detail_with(request, incident_id, status=error.status, refusal=error.detail)
    return redirect("incidents:detail", incident_id)


def _detail_with(request: HttpRequest, incident_id: int, *, status: int, **extra: Any) -> HttpResponse:
    context = _detail_context(request, incident_id)
    context.update(extra)
    return render(request, "incidents/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, incident_id: int, note_id: int) -> HttpResponse:
    user = signed_in_user(request)
    incident = Incident.objects.restrict(user, "view").filter(pk=incident_id).first()
    note = TimelineNote.objects.select_related("incident__agent").filter(pk=note_id, incident=incident).first()
    if incident is None or note is None:
        raise NotFound("No such note.")
    require(user, "incidents.edit_note", note)
    form = forms.NoteForm(request.POST or None, initial={"body": note.body, "at": note.at})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.note_edit(user=user, note=note, **form.cleaned_data)
            except DomainError as error:
                add_errors_to_form(form, error)
                status = error.status
            else:
                return redirect(reverse("incidents:detail", args=[incident_id]) + f"#note-{note.pk}")
    return render(
        request, "incidents/note_edit.html", {"form": form, "note": note, "incident": incident}, status=status
    )


def _remediation_initial(postmortem: Any) -> list[dict[str, Any]]:
    if postmortem is None:
        return []
    return [
        {
            "title": r.title,
            "owner": r.owner,
            "due_on": r.due_on,
            "done": r.done,
            "operating_model_change": r.operating_model_change,
            "change_kind": r.change_kind,
            "pact_version": r.pact_version.number if r.pact_version else None,
            "policy": r.policy_revision.policy_id if r.policy_revision else None,
            "policy_revision": r.policy_revision.number if r.policy_revision else None,
        }
        for r in postmortem.remediations.all()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def postmortem_edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    """The postmortem and its remediation items; "Add an item" re-renders the form with one more row (htmx swaps
    the rows in place; without JavaScript the whole page comes back)."""
    user = signed_in_user(request)
    incident = selectors.incident_get(user=user, incident_id=incident_id)
    require(user, "incidents.analyse", incident)
    postmortem = selectors.postmortem_of(incident)
    status = 200
    if request.method == "POST":
        form = forms.PostmortemForm(request.POST)
        formset = forms.remediation_formset()(request.POST, prefix="rem")
        if "add_row" in request.POST:
            data = request.POST.copy()
            total = int(data.get("rem-TOTAL_FORMS", "0") or 0) if str(data.get("rem-TOTAL_FORMS", "0")).isdigit() else 0
            data["rem-TOTAL_FORMS"] = str(min(total + 1, 50))
            form = forms.PostmortemForm(data)
            formset = forms.remediation_formset()(data, prefix="rem")
            _without_errors(form, formset)  # adding a row is not a submission: no errors yet
            context = {"incident": incident, "form": form, "formset": formset}
            if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
                return render(request, "incidents/postmortem.html#rows", context)
            return render(request, "incidents/postmortem.html", context)
        status = 400
        if form.is_valid() and formset.is_valid():
            items = [f.as_item() for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
            for item in items:
                item.pop("DELETE", None)
            try:
                services.postmortem_write(user=user, incident=incident, remediations=items, **form.cleaned_data)
            except DomainError as error:
                _errors_to_forms(form, formset, error)
                status = error.status
            else:
                messages.success(request, "Postmortem saved.")
                return redirect("incidents:detail", incident.pk)
    else:
        initial = (
            {
                "summary": postmortem.summary,
                "impact": postmortem.impact,
                "broken_assumption": postmortem.broken_assumption,
                "structural_weakness": postmortem.structural_weakness.slug if postmortem.structural_weakness else "",
                "contributing_factors": postmortem.contributing_factors,
            }
            if postmortem
            else {}
        )
        form = forms.PostmortemForm(initial=initial)
        rows = _remediation_initial(postmortem)
        formset = forms.remediation_formset(extra=0 if rows else 1)(initial=rows, prefix="rem")
    context = {"incident": incident, "form": form, "formset": formset}
    return render(request, "incidents/postmortem.html", context, status=status)


def _without_errors(form: Any, formset: Any) -> None:
    form.is_valid()
    formset.is_valid()
    form._errors = ErrorDict()
    for row in formset.forms:
        row._errors = ErrorDict()
    formset._errors = [ErrorDict() for _ in formset.forms]
    formset._non_form_errors = formset.error_class()


def _errors_to_forms(form: Any, formset: Any, error: DomainError) -> None:
    """``remediations.2.due_on`` lands on the third row's field; the rest on the postmortem form."""
    kept = [f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
    for item in error.errors or [{"field": error.field or "", "message": error.detail}]:
        parts = str(item.get("field", "")).split(".")
        if parts[0] == "remediations" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(kept):
            row = kept[int(parts[1])]
            name = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
            row.add_error(name, item["message"])
        else:
            form.add_error(parts[0] if parts[0] in form.fields else None, item["message"])


def _warning_lead(user: Any, chosen: dict[str, Any], start: Any, end: Any) -> dict[str, Any]:
    """How much earlier early warnings came than the breaches that followed (agents the viewer may see)."""
    from incidents.warning_signals import warning_lead
    from pacts.selectors import agent_list

    agents = agent_list(user=user)
    if chosen.get("vendor"):
        agents = agents.filter(organization__slug=chosen["vendor"])
    if chosen.get("agent"):
        agents = agents.filter(slug=chosen["agent"])
    return warning_lead(agents=agents, since=start, until=end)


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """The four metrics over the incidents the viewer may see, filterable by vendor, agent and period."""
    filters = forms.MetricsFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    by = chosen.get("repeat_by") or "agent"
    window = chosen.get("repeat_window_days") or 90
    start, end = chosen.get("start"), chosen.get("end")
    rows = selectors.metric_rows(
        user=request.user,
        vendor=chosen.get("vendor", ""),
        agent=chosen.get("agent", ""),
        start=start,
        end=end,
        history_days=window,
    )
    body = metrics.compute(rows, start=start, end=end, by=by, window_days=window)
    names = dict(StructuralWeakness.objects.values_list("slug", "name"))
    period_rows = metrics.in_period(rows, start, end)
    context = {
        "filters": filters,
        "body": body,
        "by": by,
        "window": window,
        "lead_figure": charts.lead_figure(body, metrics.lead_seconds(period_rows)),
        "shares_figure": charts.shares_figure(body),
        "weakness_figure": charts.weakness_figure(body, names),
        "warning_lead": _warning_lead(request.user, chosen, start, end),
        "names": names,
        "now": timezone.now(),
    }
    return render(request, "incidents/dashboard.html", context, status=400 if filters.errors else 200)
