"""Buyer pages for access policies: the list, a policy with its revisions and decision log, and a live preview
(htmx) of which agents a policy would allow today."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import may
from accounts.roles import signed_in_user
from reputation import policies
from reputation.forms import PolicyForm
from reputation.models import AccessPolicy, Decision, PolicyRevision
from trust_portal.errors import DomainError, Forbidden
from trust_portal.web import add_errors_to_form, paginate


def _policy(request: HttpRequest, policy_id: int) -> AccessPolicy:
    found = AccessPolicy.objects.restrict(request.user, "view").filter(pk=policy_id).first()
    if found is None:
        raise Http404("No such policy.")
    return found


def _preview_context(request: HttpRequest, form: PolicyForm) -> dict[str, Any]:
    if not form.is_valid():
        return {"preview": None, "preview_error": "Fix the fields marked above to see the preview."}
    try:
        rules = policies.clean_rules(form.rules())
    except DomainError as error:
        return {"preview": None, "preview_error": error.detail}
    rows = policies.preview(user=request.user, rules=rules)
    return {"preview": rows, "allowed": sum(1 for _, e in rows if e.result == "allow"), "preview_error": ""}


@login_required
@require_http_methods(["GET", "POST"])
def policy_list(request: HttpRequest) -> HttpResponse:
    """The organization's policies; owners create one here (with the live preview)."""
    user = signed_in_user(request)
    organization = user.organization
    can_create = organization is not None and may(user, "reputation.manage_policies", organization)
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = policies.policy_create(
                user=user, organization=organization, name=form.cleaned_data["name"], rules=form.rules()
            )
        except policies.InvalidPolicy as error:
            add_errors_to_form(form, error, default_field="name")
        else:
            messages.success(request, f"Policy “{policy.name}” created.")
            return redirect("reputation:policy", policy.pk)
    found = AccessPolicy.objects.restrict(user, "view").filter(archived_at__isnull=True).order_by("name")
    revisions = {(r.policy_id, r.number): r.rules for r in PolicyRevision.objects.filter(policy__in=found)}
    rows = [(policy, revisions.get((policy.pk, policy.revision), {})) for policy in found]
    context = {"rows": rows, "form": form, "can_create": can_create}
    return render(request, "reputation/policies.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def policy_preview(request: HttpRequest) -> HttpResponse:
    """The live preview (htmx): every agent the form's rules would allow or deny today. Logs nothing."""
    form = PolicyForm(request.POST)
    form.fields["name"].required = False  # the preview needs conditions, not a name
    return render(request, "reputation/_policy_preview.html", _preview_context(request, form))


@login_required
@require_http_methods(["GET", "POST"])
def policy_detail(request: HttpRequest, policy_id: int) -> HttpResponse:
    """One policy: its rules (owners edit them: a new revision), its revisions and its decision log."""
    user = signed_in_user(request)
    policy = _policy(request, policy_id)
    current = PolicyRevision.objects.get(policy=policy, number=policy.revision)
    can_edit = may(user, "reputation.manage_policy", policy) and policy.archived_at is None
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_for(policy.name, current.rules))
    if request.method == "POST":
        if not can_edit:
            raise Forbidden("Only an owner of the policy's organization may change it (and not once archived).")
        if form.is_valid():
            try:
                policy = policies.policy_update(
                    user=user, policy=policy, name=form.cleaned_data["name"], rules=form.rules()
                )
            except policies.InvalidPolicy as error:
                add_errors_to_form(form, error, default_field="name")
            else:
                messages.success(request, f"Saved: revision {policy.revision} is in force.")
                return redirect("reputation:policy", policy.pk)
    context = {
        "policy": policy,
        "rules": current.rules,
        "revisions": list(policy.revisions.order_by("-number")),
        "form": form,
        "can_edit": can_edit,
        "page": paginate(
            request,
            Decision.objects.restrict(user, "view").filter(policy=policy).select_related("agent", "revision"),
        ),
        "preview": (preview := policies.preview(user=user, rules=current.rules)),
        "allowed": sum(1 for _, evaluated in preview if evaluated.result == "allow"),
    }
    return render(request, "reputation/policy.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def policy_archive(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = policies.policy_archive(user=signed_in_user(request), policy=_policy(request, policy_id))
    messages.success(request, f"Policy “{policy.name}” archived: it decides no more; its log stays.")
    return redirect("reputation:policies")
