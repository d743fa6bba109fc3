"""Pages of access requests: "Request access" (from the agent page), the buyer's requests with the NDA clickwrap,
the vendor's incoming requests (pending first: approve, deny, revoke, reactivate), an agent's auto-approval rules
and its access log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import may, require
from accounts.roles import Role, role_of, signed_in_user
from evidence import access_requests as access
from evidence.forms import (
    AcceptNdaForm,
    AccessRequestForm,
    AccessRuleForm,
    ApproveForm,
    DenyForm,
    ReactivateForm,
)
from evidence.models import AccessRequest
from pacts.models import Agent
from pacts.selectors import agent_get
from trust_portal.clients import client_address
from trust_portal.errors import DomainError
from trust_portal.web import add_errors_to_form, paginate

STATUS_CHOICES = [("", "Any status"), *[(s.value, s.label) for s in AccessRequest.Status]]


class AccessRequestFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    agent = forms.SlugField(required=False, max_length=80)


def _page_context(request: HttpRequest, *, retry: dict[str, Any] | None = None) -> dict[str, Any]:
    user = signed_in_user(request)
    filters = AccessRequestFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    found = access.access_request_list(user=user, status=chosen.get("status", ""))
    if chosen.get("agent"):
        found = found.filter(agent__slug=chosen["agent"])
    page = paginate(request, access.pending_first(found))
    for item in page.object_list:
        item.actions = access.actions_for(user, item)  # type: ignore[attr-defined]
        item.row_error = ""  # type: ignore[attr-defined]
    role = role_of(user)
    side = "vendor" if role in (Role.VENDOR, Role.STAFF) else "buyer"  # staff read every request, as a vendor would
    agents = list(Agent.objects.filter(organization=user.organization).order_by("name")) if role is Role.VENDOR else []
    return {
        "side": side,
        "filters": filters,
        "page": page,
        "agents": agents,
        "approve_form": ApproveForm(),
        "deny_form": DenyForm(),
        "reactivate_form": ReactivateForm(),
        "retry": retry,
    }


@login_required
@require_safe
def access_request_list(request: HttpRequest) -> HttpResponse:
    """The buyer's own organization's requests, or the vendor's incoming ones (pending first)."""
    require(signed_in_user(request), "evidence.use_access_requests")
    context = _page_context(request)
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "evidence/access_requests.html#requests", context)
    return render(request, "evidence/access_requests.html", context, status=400 if context["filters"].errors else 200)


@login_required
@require_POST
def access_request_create(request: HttpRequest, slug: str) -> HttpResponse:
    """The "Request access" form of the agent page; a refusal shows it again, with the reason, on the requests page."""
    user = signed_in_user(request)
    agent = agent_get(user=user, slug=slug)
    require(user, "evidence.request_access", agent)  # before the form is read
    form = AccessRequestForm(request.POST)
    if form.is_valid():
        try:
            created = access.access_request_create(user=user, agent=agent, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_errors_to_form(form, error, default_field="reason")
        else:
            if created.status == AccessRequest.Status.APPROVED:
                messages.success(request, f"Approved at once by {agent.organization.name}'s rules.")
            else:
                messages.success(request, f"Request sent: {agent.organization.name}'s owners will decide.")
            return redirect("evidence:access_requests")
    context = _page_context(request, retry={"agent": agent, "form": form})
    return render(request, "evidence/access_requests.html", context, status=400)


FORMS: dict[str, type[forms.Form] | None] = {
    "approve": ApproveForm,
    "deny": DenyForm,
    "revoke": None,
    "reactivate": ReactivateForm,
    "accept-nda": AcceptNdaForm,
}
PERMISSIONS = {"accept-nda": "evidence.accept_nda"}
DONE = {
    "approve": "Approved.",
    "deny": "Denied.",
    "revoke": "Access revoked.",
    "reactivate": "Reactivated for a fresh term.",
    "accept-nda": "NDA accepted: you may now see the restricted evidence.",
}


def _run(request: HttpRequest, action: str, user: Any, found: AccessRequest, data: dict[str, Any]) -> AccessRequest:
    if action == "approve":
        return access.access_request_approve(
            user=user, access_request=found, expires_in_days=data["expires_in_days"], nda=data["nda"]
        )
    if action == "deny":
        return access.access_request_deny(user=user, access_request=found, reason=data["reason"])
    if action == "revoke":
        return access.access_request_revoke(user=user, access_request=found)
    if action == "reactivate":
        return access.access_request_reactivate(
            user=user, access_request=found, expires_in_days=data["expires_in_days"]
        )
    return access.access_request_accept_nda(
        user=user, access_request=found, address=client_address(request), nda_sha256=data["nda_sha256"]
    )


@login_required
@require_POST
def access_request_transition(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    """One decision (or the buyer's clickwrap). htmx gets the row back (with the refusal, if any); otherwise a
    refusal of the input is a 400 page naming the field, a refusal of the state a message."""
    user = signed_in_user(request)
    found = access.access_request_get(user=user, request_id=request_id)  # 404 unless the caller sees it
    require(user, PERMISSIONS.get(action, "evidence.decide_access_request"), found)  # 403 before the form is read
    form_class = FORMS[action]
    form = form_class(request.POST) if form_class is not None else None
    error, status = "", 200
    if form is not None and not form.is_valid():
        error = "; ".join(
            f"{form.fields[f].label if f in form.fields else f}: {' '.join(str(m) for m in e)}"
            for f, e in form.errors.items()
        )
        status = 400
    else:
        try:
            _run(request, action, user, found, form.cleaned_data if form is not None else {})
        except DomainError as refused:
            error, status = refused.detail, refused.status
    if request.htmx:  # type: ignore[attr-defined]
        item = access.access_request_get(user=user, request_id=request_id)
        item.actions = access.actions_for(user, item)  # type: ignore[attr-defined]
        item.row_error = error  # type: ignore[attr-defined]
        context = {
            "item": item,
            "side": "vendor" if role_of(user) is Role.VENDOR else "buyer",
            "approve_form": ApproveForm(),
            "deny_form": DenyForm(),
            "reactivate_form": ReactivateForm(),
        }
        # 200 either way: htmx swaps only successful responses, and the row says what was refused.
        return render(request, "evidence/access_requests.html#request-row", context)
    if status == 400:
        page_context = _page_context(request)
        rows = list(page_context["page"].object_list)
        for item in rows:
            item.row_error = error if item.pk == found.pk else ""  # type: ignore[attr-defined]
        if all(item.pk != found.pk for item in rows):
            messages.error(request, error)  # the row is on another page of the list
        return render(request, "evidence/access_requests.html", page_context, status=400)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, DONE[action])
    return redirect("evidence:access_requests")


@login_required
@require_http_methods(["GET", "POST"])
def access_rules(request: HttpRequest, slug: str) -> HttpResponse:
    """The agent's auto-approval rules: members of its vendor read them, owners change them."""
    user = signed_in_user(request)
    agent = agent_get(user=user, slug=slug)
    if request.method == "POST":
        require(user, "evidence.manage_access_rules", agent)  # before the form is read
    rule = access.access_rule_get(user=user, agent=agent)
    initial = {
        "engaged_buyers": rule.engaged_buyers if rule else False,
        "email_domains": "\n".join(rule.email_domains) if rule else "",
        "expires_in_days": rule.expires_in_days if rule else access.DEFAULT_TERM_DAYS,
        "nda": rule.nda if rule else "",
    }
    form = AccessRuleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            access.access_rule_set(
                user=user,
                agent=agent,
                engaged_buyers=data["engaged_buyers"],
                email_domains=form.domains(),
                expires_in_days=data["expires_in_days"],
                nda=data["nda"],
            )
        except DomainError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, f"Auto-approval rules of {agent.name} saved.")
            return redirect("evidence:access_rules", slug=agent.slug)
    context = {
        "agent": agent,
        "rule": rule,
        "form": form,
        "can_edit": may(user, "evidence.manage_access_rules", agent),
    }
    return render(request, "evidence/access_rules.html", context, status=400 if form.errors else 200)


@login_required
@require_safe
def access_log(request: HttpRequest, slug: str) -> HttpResponse:
    """Who outside the vendor saw which restricted record of the agent, and when."""
    user = signed_in_user(request)
    agent = agent_get(user=user, slug=slug)
    entries = access.access_log_list(user=user, agent=agent)
    return render(request, "evidence/access_log.html", {"agent": agent, "page": paginate(request, entries)})
