"""Diligence report pages: one agent's (``/agents/<slug>/report/``) or a comparison's (``/compare/report/?agents=``),
printable, with its JSON and PDF downloads; the PDF's render job is a fragment the page polls (htmx, every second)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from reputation.report import report_build, report_slugs
from reputation.report_jobs import report_job_get, report_job_latest, report_job_request, report_job_retry
from reputation.report_pdf import report_context
from trust_portal.errors import DomainError, InvalidQuery
from verdicts.bundle import LogPending

PAGE = "reputation/report.html"


def _page(request: HttpRequest, slugs: list[str], *, json_url: str, pdf_url: str) -> HttpResponse:
    try:
        report = report_build(user=request.user, slugs=slugs)
    except LogPending as pending:
        return render(request, PAGE, {"error": pending.detail}, status=503)
    context: dict[str, Any] = {
        **report_context(report),
        "origin_hint": request.build_absolute_uri("/").rstrip("/"),
        "json_url": json_url,
        "pdf_url": pdf_url,
        "job": report_job_latest(user=request.user, slugs=slugs) if request.user.is_authenticated else None,
    }
    return render(request, PAGE, context)


def _job_fragment(request: HttpRequest, job: Any, *, status: int = 200) -> HttpResponse:
    return render(request, f"{PAGE}#job", {"job": job}, status=status)


@require_safe
def agent_report(request: HttpRequest, slug: str) -> HttpResponse:
    api = reverse("api-agent-report", args=[slug])
    return _page(
        request,
        [slug],
        json_url=f"{api}?format=json&bundle=1",
        pdf_url=reverse("reports:agent_report_pdf", args=[slug]),
    )


@require_safe
def compare_report(request: HttpRequest) -> HttpResponse:
    try:
        slugs = report_slugs(request.GET.get("agents"))
    except InvalidQuery as invalid:
        return render(request, PAGE, {"error": invalid.detail}, status=400)
    query = urlencode({"agents": ",".join(slugs)})
    return _page(
        request,
        slugs,
        json_url=f"{reverse('api-compare-report')}?{query}&format=json&bundle=1",
        pdf_url=f"{reverse('reports:compare_report_pdf')}?{query}",
    )


def _request_pdf(request: HttpRequest, slugs: list[str], back: str) -> HttpResponse:
    job = report_job_request(user=request.user, slugs=slugs)
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        job.refresh_from_db()
        return _job_fragment(request, job, status=202 if job.status != job.Status.DONE else 200)
    return redirect(back)


@login_required
@require_POST
def agent_report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    return _request_pdf(request, [slug], reverse("reports:agent_report", args=[slug]))


@login_required
@require_POST
def compare_report_pdf(request: HttpRequest) -> HttpResponse:
    try:
        slugs = report_slugs(request.GET.get("agents"))
    except InvalidQuery as invalid:
        return HttpResponse(invalid.detail, status=400, content_type="text/plain; charset=utf-8")
    return _request_pdf(request, slugs, f"{reverse('reports:compare_report')}?{urlencode({'agents': ','.join(slugs)})}")


@login_required
@require_safe
def report_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's state: the fragment the page polls (htmx), or a page of its own without JavaScript."""
    job = report_job_get(user=request.user, job_id=job_id)
    if request.htmx:  # type: ignore[attr-defined]
        return _job_fragment(request, job)
    return render(request, PAGE, {"job": job, "job_only": True})


@login_required
@require_POST
def report_job_retry_view(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        job = report_job_retry(user=request.user, job_id=job_id)
    except DomainError as refused:
        if refused.status == 404:
            raise
        job = report_job_get(user=request.user, job_id=job_id)
        return render(request, f"{PAGE}#job", {"job": job, "refusal": refused.detail}, status=refused.status)
    if request.htmx:  # type: ignore[attr-defined]
        job.refresh_from_db()
        return _job_fragment(request, job, status=202 if job.status != job.Status.DONE else 200)
    return redirect(reverse("reports:report_job", args=[job.pk]))
