"""A diligence report's PDF, rendered in the background: the job's services and its one selector.

``report_job_request`` writes a queued ``ReportJob`` and queues ``reputation.render_report`` on commit (in the
embedded default the task runs eagerly, so the job is done when the request returns). The task claims the job with a
conditional UPDATE (queued → running), builds the report as the requester may see it (``reputation.report``),
renders it with WeasyPrint and stores the PDF beside its signed JSON twin (running → done); any error stops it
with the error kept (running → failed), and the requester retries (failed → queued; also a running job whose worker
has not written for ``STALE_AFTER``: its claim lapses). Progress is a plain UPDATE of ``progress`` and ``step``.
A job is its requester's alone (``reputation.rules_report``).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.rules import token_scope_of
from pacts.selectors import agent_get
from reputation.models import ReportJob
from trust_portal.errors import Conflict, DomainError, Forbidden, NotFound

STALE_AFTER = timedelta(minutes=10)
OPEN = (ReportJob.Status.QUEUED, ReportJob.Status.RUNNING)


class SignInRequired(DomainError):
    status = 401
    code = "not_authenticated"
    title = "Sign in to render a PDF"


def report_job_get(*, user: Any, job_id: int) -> ReportJob:
    job = ReportJob.objects.restrict(user, "view").filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"No report job {job_id}.")
    return job


def report_job_latest(*, user: Any, slugs: list[str]) -> ReportJob | None:
    """The requester's newest job for exactly these agents (what the report page shows)."""
    return ReportJob.objects.restrict(user, "view").filter(agents=slugs).order_by("-created_at", "-id").first()


def _requester_of(user: Any) -> Any:
    if not getattr(user, "is_authenticated", False):
        raise SignInRequired("Sign in to render a PDF: a PDF is rendered for its requester and kept for them.")
    if token_scope_of(user) is not None:
        raise Forbidden(
            "An agent-scoped token renders no PDF; it reads the JSON report (?format=json).", field="format"
        )
    return user


def report_job_request(*, user: Any, slugs: list[str]) -> ReportJob:
    """A job rendering the PDF of ``slugs`` for ``user``; an open job of theirs for the same agents is reused."""
    requester = _requester_of(user)
    for slug in slugs:
        agent_get(user=user, slug=slug)  # 404 before anything is written
    from reputation.report_tasks import render_report

    with transaction.atomic():
        open_job = (
            ReportJob.objects.filter(requester=requester, agents=slugs, status__in=OPEN).order_by("-created_at").first()
        )
        if open_job is not None and not _stale(open_job):
            return open_job
        job = ReportJob.objects.create(
            requester=requester,
            kind=ReportJob.Kind.COMPARE if len(slugs) > 1 else ReportJob.Kind.AGENT,
            agents=slugs,
            step="Waiting for a worker",
        )
        render_report.delay_on_commit(job.pk)
    return job


def _stale(job: ReportJob) -> bool:
    moment = job.started_at or job.created_at
    return job.status == ReportJob.Status.RUNNING and moment < timezone.now() - STALE_AFTER


def report_job_retry(*, user: Any, job_id: int) -> ReportJob:
    """failed (or a lapsed running claim) → queued, and queue the render again; anything else is a 409."""
    job = report_job_get(user=user, job_id=job_id)
    _requester_of(user)
    lapsed = Q(status=ReportJob.Status.RUNNING, started_at__lt=timezone.now() - STALE_AFTER)
    from reputation.report_tasks import render_report

    with transaction.atomic():
        moved = (
            ReportJob.objects.filter(pk=job.pk)
            .filter(Q(status=ReportJob.Status.FAILED) | lapsed)
            .update(status=ReportJob.Status.QUEUED, progress=0, step="Waiting for a worker", error="")
        )
        if not moved:
            job.refresh_from_db()
            raise Conflict(f"This report is {job.get_status_display().lower()}; only a failed render can be retried.")
        render_report.delay_on_commit(job.pk)
    job.refresh_from_db()
    return job


def _progress(job_id: int, percent: int, step: str) -> None:
    ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.RUNNING).update(
        progress=max(0, min(99, percent)), step=step[:120]
    )


def report_job_render(*, job_id: int) -> str:
    """The task's body: claim, build, render, store. Idempotent: a job not queued is left as it is."""
    from reputation.report import report_build
    from reputation.report_pdf import report_pdf, twin_text

    claimed = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.QUEUED).update(
        status=ReportJob.Status.RUNNING,
        progress=5,
        step="Started",
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        found = ReportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return str(found or "missing")
    job = ReportJob.objects.select_related("requester").get(pk=job_id)
    started = time.monotonic()
    try:
        report = report_build(user=job.requester, slugs=list(job.agents), progress=lambda p, s: _progress(job_id, p, s))
        _progress(job_id, 90, "Rendering the PDF")
        pdf = report_pdf(report)
        _progress(job_id, 97, "Storing the PDF")
        name = default_storage.save(f"reports/{'-'.join(job.agents)[:80]}-{job_id}.pdf", ContentFile(pdf))
    except Exception as error:
        ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.RUNNING).update(
            status=ReportJob.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            step="Failed",
            finished_at=timezone.now(),
        )
        return ReportJob.Status.FAILED
    ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.RUNNING).update(
        status=ReportJob.Status.DONE,
        progress=100,
        step="Done",
        file=name,
        twin=twin_text(report),
        render_ms=int((time.monotonic() - started) * 1000),
        finished_at=timezone.now(),
    )
    return ReportJob.Status.DONE
