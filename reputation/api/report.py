"""Diligence reports over the API (DESIGN.md's wire format): ``GET /api/v1/agents/{agent}/report/?format=json|pdf``
and ``GET /api/v1/compare/report/?agents=a,b&format=json|pdf``, and the PDF's render job (``/api/v1/reports/{id}/``).

``format=json`` (the default) answers the signed ``diligence-report/1`` document at once (``&bundle=1`` carries
each agent's evidence bundle inside it). ``format=pdf`` (signed-in people only) asks for a render job: when the
render finished within the request — always in the embedded default, where tasks run eagerly — the answer is the PDF
itself (200, ``Content-Location`` the job); otherwise ``202`` with the job (``Location``, ``Retry-After: 1``) to poll
until ``status`` is ``done``, then ``GET …/pdf/`` (the PDF) and ``…/json/`` (its signed JSON twin).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from reputation.models import ReportJob
from reputation.report import report_build, report_slugs
from reputation.report_jobs import report_job_get, report_job_request, report_job_retry
from trust_portal.api.params import bool_parameter, query_bool
from trust_portal.api.schema import PROBLEM
from trust_portal.errors import Conflict, InvalidQuery

TAGS = ["reputation"]
FORMATS = ("json", "pdf")


class _FormatIsNotARenderer(DefaultContentNegotiation):
    """Here ``?format=`` names the report's format (DESIGN.md's contract), not a response renderer."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]


FORMAT = OpenApiParameter(
    "format", str, enum=list(FORMATS), description="json (default): the signed report; pdf: its PDF (a render job)"
)
BUNDLE = bool_parameter("bundle", description="1: carry each agent's evidence bundle inside the JSON report")
AGENTS = OpenApiParameter("agents", str, required=True, description="1–4 agent slugs, comma-separated")


class ReportJobOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    pdf = serializers.SerializerMethodField()
    json = serializers.SerializerMethodField()

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "kind",
            "agents",
            "status",
            "progress",
            "step",
            "error",
            "attempts",
            "render_ms",
            "created_at",
            "started_at",
            "finished_at",
            "url",
            "pdf",
            "json",
        ]

    def get_url(self, job: ReportJob) -> str:
        return reverse("api-report-job", args=[job.pk])

    def get_pdf(self, job: ReportJob) -> str | None:
        return reverse("api-report-job-pdf", args=[job.pk]) if job.status == ReportJob.Status.DONE else None

    def get_json(self, job: ReportJob) -> str | None:
        return reverse("api-report-job-json", args=[job.pk]) if job.status == ReportJob.Status.DONE else None


def _strict(request: Request, allowed: set[str]) -> None:
    for name in sorted(request.query_params):
        if name not in allowed:
            expected = ", ".join(sorted(allowed))
            raise InvalidQuery(f"Unknown query parameter {name!r} (this operation takes: {expected}).", field=name)
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidQuery(f"Give {name} once.", field=name)


def _answer(request: Request, slugs: list[str], filename: str) -> HttpResponseBase:
    fmt = request.query_params.get("format", "json")
    if fmt not in FORMATS:
        raise InvalidQuery("format must be json or pdf.", field="format")
    embed = query_bool(request, "bundle")
    if fmt == "json":
        report = report_build(user=request.user, slugs=slugs, embed_bundles=embed)
        response = HttpResponse(json.dumps(report, indent=1, ensure_ascii=False), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        return response
    if embed:
        raise InvalidQuery("bundle applies to format=json (the PDF names each bundle by its hash).", field="bundle")
    if not request.user.is_authenticated:
        raise NotAuthenticated("Sign in (or send a bearer token) to render a PDF: it is kept for its requester.")
    job = report_job_request(user=request.user, slugs=slugs)
    job.refresh_from_db()
    url = reverse("api-report-job", args=[job.pk])
    if job.status == ReportJob.Status.DONE and job.file:
        return _pdf(job, url)
    return Response(ReportJobOutput(job).data, status=202, headers={"Location": url, "Retry-After": "1"})


def _pdf(job: ReportJob, url: str) -> HttpResponseBase:
    response = FileResponse(job.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{"-".join(job.agents)[:80]}-diligence-report.pdf"'
    response["Content-Location"] = url
    return response


REPORT_RESPONSES: dict[Any, Any] = {
    (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="The signed diligence-report/1"),
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="format=pdf, rendered at once"),
    202: OpenApiResponse(ReportJobOutput, description="format=pdf: the render job to poll"),
    400: PROBLEM,
    401: PROBLEM,
    403: PROBLEM,
    404: PROBLEM,
    503: PROBLEM,
}


class AgentReportView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    content_negotiation_class = _FormatIsNotARenderer

    @extend_schema(parameters=[FORMAT, BUNDLE], responses=REPORT_RESPONSES, tags=TAGS)
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        _strict(request, {"format", "bundle"})
        return _answer(request, [slug], f"{slug}-diligence-report")


class CompareReportView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    content_negotiation_class = _FormatIsNotARenderer

    @extend_schema(parameters=[AGENTS, FORMAT, BUNDLE], responses=REPORT_RESPONSES, tags=TAGS)
    def get(self, request: Request) -> HttpResponseBase:
        _strict(request, {"agents", "format", "bundle"})
        slugs = report_slugs(request.query_params.get("agents"))
        return _answer(request, slugs, "comparison-diligence-report")


class ReportJobView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(responses={200: ReportJobOutput, 400: PROBLEM, 401: PROBLEM, 404: PROBLEM}, tags=TAGS)
    def get(self, request: Request, job_id: int) -> Response:
        _strict(request, set())
        return Response(ReportJobOutput(report_job_get(user=request.user, job_id=job_id)).data)


def _done(request: Request, job_id: int) -> ReportJob:
    _strict(request, set())
    job = report_job_get(user=request.user, job_id=job_id)
    if job.status != ReportJob.Status.DONE or not job.file:
        detail = f": {job.error}" if job.status == ReportJob.Status.FAILED else f" ({job.progress} %)"
        raise Conflict(f"This report is {job.get_status_display().lower()}{detail}; it has no PDF yet.")
    return job


class ReportJobPdfView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            400: PROBLEM,
            401: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
        },
        tags=TAGS,
    )
    def get(self, request: Request, job_id: int) -> HttpResponseBase:
        job = _done(request, job_id)
        return _pdf(job, reverse("api-report-job", args=[job.pk]))


class ReportJobJsonView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            400: PROBLEM,
            401: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
        },
        tags=TAGS,
    )
    def get(self, request: Request, job_id: int) -> HttpResponse:
        job = _done(request, job_id)
        response = HttpResponse(job.twin, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{"-".join(job.agents)[:80]}-diligence-report.json"'
        return response


class ReportJobRetryView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(
        request=None,
        responses={202: ReportJobOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        tags=TAGS,
    )
    def post(self, request: Request, job_id: int) -> Response:
        _strict(request, set())
        job = report_job_retry(user=request.user, job_id=job_id)
        return Response(
            ReportJobOutput(job).data, status=202, headers={"Location": reverse("api-report-job", args=[job.pk])}
        )
