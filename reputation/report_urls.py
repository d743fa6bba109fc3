from django.urls import path

from reputation import report_views

app_name = "reports"

urlpatterns = [
    path("agents/<slug:slug>/report/", report_views.agent_report, name="agent_report"),
    path("agents/<slug:slug>/report/pdf/", report_views.agent_report_pdf, name="agent_report_pdf"),
    path("compare/report/", report_views.compare_report, name="compare_report"),
    path("compare/report/pdf/", report_views.compare_report_pdf, name="compare_report_pdf"),
    path("reports/<int:job_id>/", report_views.report_job, name="report_job"),
    path("reports/<int:job_id>/retry/", report_views.report_job_retry_view, name="report_job_retry"),
]
