"""HTML views for agents and pacts: parse, call a selector or service, render."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Organization
from accounts.permissions import may, require
from accounts.roles import signed_in_user
from pacts import documents, hooks, selectors, services
from pacts.demo_documents import STARTER_DOCUMENT
from pacts.diff import diff_documents
from pacts.forms import AgentForm, DiffForm, DraftForm, PactForm, PublishForm
from pacts.models import Pact, PactVersion
from pacts.plain import describe_clause
from trust_portal.errors import DomainError
from trust_portal.web import add_errors_to_form, paginate

# The directory's own columns, placed among the providers' by ``position`` (pacts.hooks.DirectoryColumn).
BUILTIN_COLUMNS = (
    {"name": "name", "label": "Agent", "position": 0, "builtin": True, "title": "The agent and its pacts"},
    {"name": "vendor", "label": "Vendor", "position": 10, "builtin": True, "title": ""},
    {"name": "consequence", "label": "Consequence", "position": 30, "builtin": True, "title": "What is at stake"},
    {"name": "followers", "label": "Followers", "position": 70, "builtin": True, "title": ""},
)
ASCENDING_FIRST = {"name", "vendor"}  # text sorts A→Z first; numbers and trust best (highest) first


def _directory_columns() -> list[dict[str, Any]]:
    columns: list[dict[str, Any]] = [dict(c) for c in BUILTIN_COLUMNS]
    for provider in hooks.directory_columns:
        for c in provider.columns:
            columns.append(
                {
                    "name": c.name,
                    "label": c.label,
                    "position": c.position,
                    "builtin": False,
                    "title": c.title,
                    "cell": c.cell,
                }
            )
    return sorted(columns, key=lambda c: c["position"])


def _query(params: dict[str, str], **changes: str) -> str:
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in ("", None)})


@require_safe
def agent_list(request: HttpRequest) -> HttpResponse:
    """The directory, ranked by trust unless sorted otherwise: filters, search, sort by any column, pages.

    One parser for the page and the API (``directory_query``); the form is a plain GET (works without
    JavaScript) that htmx submits as you type, pushing the URL so every view of the directory can be shared."""
    from pacts.api.serializers import directory_query

    query_class = directory_query()
    names = list(query_class().fields)
    raw = {name: request.GET.get(name, "").strip() for name in names}
    raw["q"], raw["vendor"] = raw["q"][:100], raw["vendor"][:100]
    parser = query_class(data={k: v for k, v in raw.items() if v != ""})
    errors: dict[str, str] = {}
    if parser.is_valid():
        params = dict(parser.validated_data)
    else:
        errors = {field: str(messages_[0]) for field, messages_ in parser.errors.items()}
        params = {"q": raw["q"], "vendor": raw["vendor"], "stale": None}
    sorts = selectors.directory_sorts()
    sort = request.GET.get("sort", "-tier" if "tier" in sorts else "name")
    if sort.removeprefix("-") not in sorts:
        sort = "-tier" if "tier" in sorts else "name"
    base = {name: params.pop(name, None) for name in ("q", "vendor", "stale")}
    try:
        agents = selectors.agent_list(user=request.user, **base, filters=params, sort=sort)
    except DomainError as error:  # a filter refused its value (e.g. a policy that is not yours)
        errors[getattr(error, "field", "") or "filters"] = str(error)
        agents = selectors.agent_list(user=request.user, q=base["q"] or "", vendor=base["vendor"] or "", sort=sort)
    page = paginate(request, agents)
    kept = {**{k: v for k, v in raw.items() if v and k not in errors}, "sort": sort}
    columns = _directory_columns()
    for column in columns:
        name = column["name"]
        if name in sorts:
            current = sort.removeprefix("-") == name
            descending = sort.startswith("-")
            first = name if name in ASCENDING_FIRST else f"-{name}"
            column["next_sort"] = (name if descending else f"-{name}") if current else first
            column["sort_query"] = _query(kept, sort=column["next_sort"])
            column["aria_sort"] = ("descending" if descending else "ascending") if current else "none"
    rows = [
        {"agent": agent, "cells": [(c, None if c["builtin"] else c["cell"](agent)) for c in columns]}
        for agent in page.object_list
    ]
    filters = [
        {
            "name": f.name,
            "label": f.label,
            "choices": f.choices(request.user),
            "value": raw.get(f.name, ""),
            "note": f.note,
        }
        for provider in hooks.directory_columns
        for f in provider.filters
    ]
    context = {
        "page": page,
        "rows": rows,
        "columns": columns,
        "filters": [f for f in filters if f["choices"] or f["name"] != "policy"],
        "errors": errors,
        "sort": sort,
        "q": raw["q"],
        "vendor": raw["vendor"],
        "stale": raw["stale"],
        "previous_query": _query(kept, page=str(page.previous_page_number())) if page.has_previous() else "",
        "next_query": _query(kept, page=str(page.next_page_number())) if page.has_next() else "",
        "vendors": Organization.objects.filter(kind=Organization.Kind.VENDOR).order_by("name"),
        "can_register": may(request.user, "pacts.register_agent"),
    }
    status = 400 if errors else 200
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        response = render(request, "pacts/agent_list.html#results", context, status=status)
        # The URL pushed is the view's own, without the form's empty fields: short enough to share.
        page_number = {"page": str(page.number)} if page.number > 1 else {}
        response["HX-Push-Url"] = f"{request.path}?{_query(kept, **page_number)}"
        return response
    return render(request, "pacts/agent_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def agent_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "pacts.register_agent")
    form = AgentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            agent = services.agent_create(user=signed_in_user(request), **form.service_kwargs())
        except (DomainError, ValidationError) as error:
            add_errors_to_form(form, error, default_field="agent_card")
        else:
            messages.success(request, f"Agent “{agent.name}” registered. Now give it a pact.")
            return redirect("pacts:agent", slug=agent.slug)
    return render(request, "pacts/agent_form.html", {"form": form}, status=400 if form.errors else 200)


@require_safe
def agent_detail(request: HttpRequest, slug: str) -> HttpResponse:
    agent = selectors.agent_get(user=request.user, slug=slug)
    pacts = []
    for pact in selectors.agent_pacts(user=request.user, agent=agent):
        versions = list(selectors.pact_version_list(user=request.user, pact=pact))
        current = selectors.pact_current_version(pact=pact)
        pacts.append(
            {
                "pact": pact,
                "current": current,
                "versions": versions,
                "draft": next((v for v in versions if v.is_draft), None),
            }
        )
    panels = [panel for provider in hooks.agent_panels if (panel := provider(request, agent))]
    context = {
        "agent": agent,
        "pacts": pacts,
        "panels": panels,
        "is_vendor": may(request.user, "pacts.author_pact", agent),
        "can_follow": may(request.user, "pacts.follow_agent", agent),
    }
    return render(request, "pacts/agent_detail.html", context)


@login_required
@require_POST
def agent_follow_toggle(request: HttpRequest, slug: str) -> HttpResponse:
    user = signed_in_user(request)
    agent = selectors.agent_get(user=user, slug=slug)
    if getattr(agent, "is_followed", False):
        services.agent_unfollow(agent=agent, user=user)
        messages.info(request, f"You no longer follow {agent.name}.")
    else:
        services.agent_follow(agent=agent, user=user)
        messages.success(request, f"You follow {agent.name}: you will hear of every new pact version.")
    if request.htmx:  # type: ignore[attr-defined]
        agent = selectors.agent_get(user=user, slug=slug)
        return render(request, "pacts/agent_detail.html#follow", {"agent": agent, "can_follow": True})
    return redirect("pacts:agent", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def pact_create(request: HttpRequest, slug: str) -> HttpResponse:
    user = signed_in_user(request)
    agent = selectors.agent_get(user=user, slug=slug)
    require(user, "pacts.author_pact", agent)  # before the body is read: outsiders learn nothing from validation
    form = PactForm(request.POST or None, initial={"document": STARTER_DOCUMENT})
    if request.method == "POST" and form.is_valid():
        try:
            pact = services.pact_create(agent=agent, user=user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            add_errors_to_form(form, error, default_field="document")
        else:
            messages.success(request, "Draft saved. Review it, then publish.")
            return redirect("pacts:version", pact_id=pact.pk, number=1)
    return render(request, "pacts/pact_form.html", {"form": form, "agent": agent}, status=400 if form.errors else 200)


@login_required
@require_POST
def document_validate(request: HttpRequest) -> HttpResponse:
    """Live validation for the editor (htmx): errors with their paths, or the clauses in plain language."""
    text = request.POST.get("document", "")
    context: dict[str, Any] = {"errors": [], "clauses": [], "too_large": None}
    try:
        data = documents.parse_text(text)
        document = documents.validated(data)
    except documents.DocumentInvalid as error:
        context["errors"] = error.errors
    except documents.DocumentTooLarge as error:
        context["too_large"] = str(error)
    else:
        context["clauses"] = [describe_clause(row) for row in documents.clauses(document)]
        context["content_hash"] = documents.content_hash(document)
    return render(request, "htmx/pact_validation.html", context)


@require_http_methods(["GET", "POST"])
def version_detail(request: HttpRequest, pact_id: int, number: int) -> HttpResponse:
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    pact = selectors.pact_get(user=request.user, pact_id=pact_id)
    version = selectors.pact_version_get(user=request.user, pact=pact, number=number)
    if request.method == "POST":
        require(
            request.user, "pacts.author_pact", version
        )  # before the state: a stranger is told why, not "it is frozen"
    is_vendor = may(request.user, "pacts.author_pact", pact)
    draft_form = publish_form = None
    if version.is_draft and is_vendor:
        draft_form = DraftForm(
            request.POST if request.method == "POST" else None,
            initial={
                "document": json.dumps(version.document, indent=2, ensure_ascii=False),
                "changelog": version.changelog,
            },
        )
        publish_form = PublishForm()
        if request.method == "POST" and draft_form.is_valid():
            try:
                services.pact_version_update_draft(
                    version=version, user=signed_in_user(request), **draft_form.cleaned_data
                )
            except (DomainError, ValidationError) as error:
                add_errors_to_form(draft_form, error, default_field="document")
            else:
                messages.success(request, f"Draft v{number} saved.")
                return redirect("pacts:version", pact_id=pact_id, number=number)
    elif request.method == "POST":
        messages.error(request, f"Version {number} is {version.status}: it can no longer change.")
        return redirect("pacts:version", pact_id=pact_id, number=number)
    context = {
        "pact": pact,
        "agent": pact.agent,
        "version": version,
        "versions": selectors.pact_version_list(user=request.user, pact=pact),
        "events": selectors.pact_events(user=request.user, pact=pact)[:20],
        "is_vendor": is_vendor,
        "can_publish": version.is_draft and may(request.user, "pacts.publish_version", version),
        "now": timezone.now(),
        "draft_form": draft_form,
        "publish_form": publish_form,
    }
    return render(
        request,
        "pacts/version_detail.html",
        context,
        status=400 if draft_form is not None and draft_form.errors else 200,
    )


@login_required
@require_POST
def version_publish(request: HttpRequest, pact_id: int, number: int) -> HttpResponse:
    user = signed_in_user(request)
    pact = selectors.pact_get(user=user, pact_id=pact_id)
    version = selectors.pact_version_get(user=user, pact=pact, number=number)
    require(user, "pacts.publish_version", version)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the confirmation to publish: a published version can never be changed.")
        return redirect("pacts:version", pact_id=pact_id, number=number)
    try:
        services.pact_version_publish(version=version, user=user, effective_from=form.cleaned_data["effective_from"])
    except (DomainError, ValidationError) as error:
        detail = error.detail if isinstance(error, DomainError) else "; ".join(error.messages)
        messages.error(request, f"Not published: {detail}")
    else:
        messages.success(
            request, f"Version {number} published. It is now immutable; content hash {version.content_hash[:12]}…"
        )
    return redirect("pacts:version", pact_id=pact_id, number=number)


@login_required
@require_POST
def version_new_draft(request: HttpRequest, pact_id: int) -> HttpResponse:
    """Start the next version from the one in force (or the latest)."""
    user = signed_in_user(request)
    pact = selectors.pact_get(user=user, pact_id=pact_id)
    require(user, "pacts.author_pact", pact)
    base = selectors.pact_current_version(pact=pact) or selectors.pact_version_list(user=user, pact=pact).first()
    if base is None:
        raise PermissionDenied("Nothing to start from.")
    try:
        version = services.pact_version_create_draft(pact=pact, user=user, document=base.document, changelog="")
    except DomainError as error:
        messages.error(request, error.detail)
        draft = pact.versions.filter(status=PactVersion.Status.DRAFT).first()
        if draft is not None:
            return redirect("pacts:version", pact_id=pact_id, number=draft.number)
        return redirect("pacts:agent", slug=pact.agent.slug)
    messages.success(request, f"Draft v{version.number} started from v{base.number}.")
    return redirect("pacts:version", pact_id=pact_id, number=version.number)


@login_required
@require_POST
def pact_review(request: HttpRequest, pact_id: int) -> HttpResponse:
    user = signed_in_user(request)
    pact = selectors.pact_get(user=user, pact_id=pact_id)
    require(user, "pacts.review_pact", pact)
    try:
        pact = services.pact_review(pact=pact, user=user, note=request.POST.get("note", "")[:2000])
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Pact re-reviewed; next review due {pact.review_due_at:%Y-%m-%d}.")
    next_url = request.POST.get("next", "")
    safe = next_url.startswith("/") and not next_url.startswith("//")
    return redirect(next_url if safe else reverse("pacts:agent", args=[pact.agent.slug]))


@login_required
@require_POST
def pact_retire(request: HttpRequest, pact_id: int) -> HttpResponse:
    user = signed_in_user(request)
    pact = selectors.pact_get(user=user, pact_id=pact_id)
    require(user, "pacts.retire_pact", pact)
    try:
        services.pact_retire(pact=pact, user=user, note=request.POST.get("note", "")[:2000])
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request, f"“{pact.title}” retired: it promises nothing any more, and its clauses are off the board."
        )
    return redirect("pacts:agent", slug=pact.agent.slug)


@require_safe
def pact_diff(request: HttpRequest, pact_id: int) -> HttpResponse:
    pact: Pact = selectors.pact_get(user=request.user, pact_id=pact_id)
    versions = list(selectors.pact_version_list(user=request.user, pact=pact))
    form = DiffForm({"from_version": request.GET.get("from"), "to_version": request.GET.get("to")})
    diff = old = new = None
    if form.is_valid():
        old = selectors.pact_version_get(user=request.user, pact=pact, number=form.cleaned_data["from_version"])
        new = selectors.pact_version_get(user=request.user, pact=pact, number=form.cleaned_data["to_version"])
        diff = diff_documents(old.document, new.document)
    elif len(versions) >= 2 and not request.GET:
        return redirect(reverse("pacts:diff", args=[pact_id]) + f"?from={versions[1].number}&to={versions[0].number}")
    context = {
        "pact": pact,
        "agent": pact.agent,
        "versions": versions,
        "form": form,
        "diff": diff,
        "old": old,
        "new": new,
    }
    return render(request, "pacts/diff.html", context, status=400 if request.GET and not form.is_valid() else 200)
