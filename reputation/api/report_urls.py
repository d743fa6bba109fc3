from django.urls import path

from reputation.api import report

urlpatterns = [
    path("agents/<slug:slug>/report/", report.AgentReportView.as_view(), name="api-agent-report"),
    path("compare/report/", report.CompareReportView.as_view(), name="api-compare-report"),
    path("reports/<int:job_id>/", report.ReportJobView.as_view(), name="api-report-job"),
    path("reports/<int:job_id>/pdf/", report.ReportJobPdfView.as_view(), name="api-report-job-pdf"),
    path("reports/<int:job_id>/json/", report.ReportJobJsonView.as_view(), name="api-report-job-json"),
    path("reports/<int:job_id>/retry/", report.ReportJobRetryView.as_view(), name="api-report-job-retry"),
]
