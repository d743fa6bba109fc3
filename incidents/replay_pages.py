"""Pages of trust after degradation and replays: the agent's report (with the replay form and its recent
replays), starting a replay, and a replay's page (both timelines on one Plotly chart, the differences in words,
progress polled through htmx while it runs)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from accounts.permissions import may, require
from accounts.roles import signed_in_user
from incidents import charts, degradation, replays
from incidents.models import Replay
from pacts.models import Pact
from pacts.selectors import agent_get
from reputation.models import AccessPolicy
from trust_portal.errors import DomainError


@login_required
@require_safe
def degradation_page(request: HttpRequest, slug: str) -> HttpResponse:
    user = signed_in_user(request)
    agent = agent_get(user=user, slug=slug)
    report = degradation.report(user=user, agent=agent)
    can_replay = may(user, "incidents.replay", agent)
    context = {
        "agent": agent,
        "report": report,
        "can_replay": can_replay,
        "pacts": list(Pact.objects.restrict(user, "view").filter(agent=agent).prefetch_related("versions")),
        "policies": list(AccessPolicy.objects.restrict(user, "view").filter(archived_at__isnull=True)[:50])
        if can_replay
        else [],
        "replays": replays.replays_of(user=user, agent=agent),
    }
    return render(request, "incidents/degradation.html", context)


@login_required
@require_POST
def replay_start(request: HttpRequest, slug: str) -> HttpResponse:
    user = signed_in_user(request)
    agent = agent_get(user=user, slug=slug)
    require(user, "incidents.replay", agent)
    choice = request.POST.get("subject", "")
    fields: dict[str, Any] = {}
    try:
        kind, _, value = choice.partition(":")
        if kind == "version":
            pact, _, number = value.partition("/")
            fields = {"pact": int(pact), "pact_version": int(number)}
        elif kind == "policy":
            fields = {"policy": int(value)}
        job = replays.replay_request(user=user, agent=agent, **fields)
    except (ValueError, DomainError) as error:
        messages.error(request, str(error) if isinstance(error, DomainError) else "Choose a version or a policy.")
        return redirect("incidents:degradation", slug=agent.slug)
    return redirect("incidents:replay", replay_id=job.pk)


@login_required
@require_safe
def replay_page(request: HttpRequest, replay_id: int) -> HttpResponse:
    user = signed_in_user(request)
    job = replays.replay_get(user=user, replay_id=replay_id)
    context = {
        "job": job,
        "agent": job.agent,
        "running": job.status in (Replay.Status.QUEUED, Replay.Status.RUNNING),
        "figure": charts.replay_figure(job.timeline) if job.status == Replay.Status.DONE else None,
        "percent": round(job.progress * 100),
    }
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        if not context["running"]:
            return HttpResponseClientRefresh()  # the chart and the differences: the whole page once
        return render(request, "incidents/replay.html#progress", context)
    return render(request, "incidents/replay.html", context)
