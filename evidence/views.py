"""Evidence pages: the vendor's workbench and the buyer's view of an agent's evidence."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.permissions import may, require
from accounts.roles import signed_in_user
from evidence import selectors, services
from evidence.forms import EvidenceFilterForm, GrantForm, ImportForm, IngestTokenForm
from evidence.importers import ImportOptions
from pacts.models import Agent
from pacts.selectors import agent_get
from trust_portal.errors import DomainError
from trust_portal.web import add_errors_to_form, paginate


def _day(value: object, end: bool = False) -> datetime | None:
    if not value:
        return None
    return timezone.make_aware(datetime.combine(value, time.max if end else time.min))  # type: ignore[arg-type]


@require_safe
def agent_evidence(request: HttpRequest, slug: str) -> HttpResponse:
    agent = agent_get(user=request.user, slug=slug)
    filters = EvidenceFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    records = selectors.evidence_list(
        user=request.user,
        agent=agent,
        kind=criteria.get("kind", ""),
        metric=criteria.get("metric", ""),
        source=criteria.get("source", ""),
        observed_after=_day(criteria.get("observed_after")),
        observed_before=_day(criteria.get("observed_before"), end=True),
    )
    is_vendor = may(request.user, "evidence.submit", agent)
    can_grant = may(request.user, "evidence.manage_grants", agent)
    context = {
        "agent": agent,
        "page": paginate(request, records),
        "filters": filters,
        "facets": selectors.evidence_facets(user=request.user, agent=agent),
        "is_vendor": is_vendor,
        "import_form": ImportForm() if is_vendor else None,
        "can_grant": can_grant,
        "grant_form": GrantForm() if can_grant else None,
        "grants": selectors.access_grant_list(user=request.user, agent=agent),
        "imports": selectors.import_list(user=request.user, agent=agent)[:10],
        "now": timezone.now(),
    }
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "evidence/agent_evidence.html#records", context)
    return render(
        request, "evidence/agent_evidence.html", context, status=400 if request.GET and not filters.is_valid() else 200
    )


@login_required
@require_POST
def evidence_import(request: HttpRequest, slug: str) -> HttpResponse:
    user = signed_in_user(request)
    agent = agent_get(user=user, slug=slug)
    require(user, "evidence.submit", agent)  # before the upload is read
    form = ImportForm(request.POST, request.FILES)
    result, created = None, False
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result, created = services.evidence_import(
                agent=agent,
                data=upload.read(services.import_limit_bytes() + 1),
                fmt=form.cleaned_data["format"],
                user=user,
                filename=upload.name,
                options=ImportOptions(metric=form.cleaned_data["metric"], visibility=form.cleaned_data["visibility"]),
            )
        except (DomainError, ValidationError) as error:
            add_errors_to_form(form, error, default_field="file")
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                if created:
                    messages.success(
                        request, f"Imported {result.record_count} record(s) from {result.tool} {result.tool_version}."
                    )
                else:
                    messages.info(request, "This file (or this run) was imported before: nothing new was stored.")
                return redirect("evidence:agent", slug=slug)
    context = {
        "agent": agent,
        "import_form": form if form.errors else ImportForm(),
        "import_result": result,
        "created": created,
    }
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "evidence/agent_evidence.html#import", context, status=400 if form.errors else 200)
        if result is not None:
            trigger_client_event(response, "evidence-changed")  # the records list reloads itself
        return response
    return render(request, "evidence/import_failed.html", context, status=400)


@require_safe
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    record = selectors.evidence_get(user=request.user, record_id=record_id)
    return render(
        request, "evidence/record_detail.html", {"record": record, "agent": record.agent, "now": timezone.now()}
    )


@require_safe
def record_attachment(request: HttpRequest, record_id: int) -> FileResponse:
    record = selectors.evidence_get(user=request.user, record_id=record_id)
    if record.attachment is None:
        from django.http import Http404

        raise Http404("This record has no attachment.")
    response = FileResponse(
        record.attachment.file.open("rb"),
        content_type=record.attachment.content_type,
        as_attachment=True,
        filename=record.attachment_name or record.attachment.sha256,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def grant_create(request: HttpRequest, slug: str) -> HttpResponse:
    user = signed_in_user(request)
    agent = agent_get(user=user, slug=slug)
    require(user, "evidence.manage_grants", agent)
    form = GrantForm(request.POST)
    if form.is_valid():
        try:
            grant = services.access_grant_create(
                agent=agent,
                organization=form.cleaned_data["organization"],
                user=user,
                expires_at=form.cleaned_data["expires_at"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, f"{grant.organization.name} may now see {agent.name}'s restricted evidence.")
    else:
        problems = "; ".join(
            f"{form.fields[f].label if f in form.fields else f}: {' '.join(str(m) for m in e)}"
            for f, e in form.errors.items()
        )
        messages.error(request, f"No access granted. {problems}")
    return redirect("evidence:agent", slug=slug)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, grant_id: int) -> HttpResponse:
    user = signed_in_user(request)
    grant = selectors.access_grant_get(user=user, grant_id=grant_id)
    services.access_grant_revoke(grant=grant, user=user)
    messages.success(request, "Access revoked.")
    return redirect("evidence:agent", slug=grant.agent.slug)


@login_required
@require_http_methods(["GET", "POST"])
def my_evidence(request: HttpRequest) -> HttpResponse:
    """The vendor's evidence workbench: every agent with its evidence counts, and agent-scoped ingest tokens."""
    user = signed_in_user(request)
    require(user, "evidence.use_workbench")
    agents = Agent.objects.filter(organization=user.organization).order_by("name")
    form = IngestTokenForm(request.POST or None, agents=agents)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.ingest_token_create(
                user=user,
                name=form.cleaned_data["name"],
                agents=form.cleaned_data["agents"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except (DomainError, ValidationError) as error:
            add_errors_to_form(form, error)
        else:
            form = IngestTokenForm(agents=agents)
    can_manage_keys = may(user, "evidence.manage_signing_keys", user.organization)
    summary = agents.annotate(
        record_count=Count("evidence"),
        restricted_count=Count("evidence", filter=Q(evidence__visibility="restricted")),
        latest=Max("evidence__observed_to"),
    )
    return render(
        request,
        "evidence/my_evidence.html",
        {
            "agents": summary,
            "form": form,
            "issued": issued,
            "now": timezone.now(),
            "signing_keys": selectors.signing_key_list(user=user),
            "can_manage_keys": can_manage_keys,
            # Stateless (HMAC-signed): showing one writes nothing.
            "key_challenge": services.vendor_key_challenge(user=user) if can_manage_keys else None,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def signing_key_register(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, "evidence.manage_signing_keys", user.organization)  # a refusal is a 403, not a message
    try:
        key = services.vendor_key_register(
            user=user,
            name=request.POST.get("name", ""),
            public_pem=request.POST.get("public_pem", ""),
            challenge=request.POST.get("challenge", ""),
            signature=request.POST.get("signature", ""),
        )
    except DomainError as error:
        messages.error(request, f"No key registered. {error.detail}")
    else:
        messages.success(request, f"Signing key “{key.name}” registered (key id {key.key_id}).")
    return redirect("evidence:my_evidence")


@login_required
@require_POST
def signing_key_revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    user = signed_in_user(request)
    key = services.vendor_key_revoke(user=user, key=selectors.signing_key_get(user=user, key_id=key_id))
    messages.success(request, f"Signing key “{key.name}” revoked: envelopes signed with it are refused from now on.")
    return redirect("evidence:my_evidence")
