from django.urls import include, path

from reputation.api import views

urlpatterns = [
    path("agents/<slug:slug>/score/", views.AgentScoreView.as_view(), name="api-agent-score"),
    path("", include("reputation.api.ledger_urls")),
    path("", include("reputation.api.webhook_urls")),
]
