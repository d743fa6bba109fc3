"""The diligence report's background work: render a report job's PDF (takes the job's id, calls the service)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reputation.render_report", acks_late=True)
def render_report(job_id: int) -> str:
    """Idempotent: a job already claimed, done or failed is left alone (a retry re-queues it first)."""
    from reputation.report_jobs import report_job_render

    return report_job_render(job_id=job_id)
