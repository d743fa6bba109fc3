from django.urls import include, path

from reputation.api import decision, policies, views

urlpatterns = [
    path("agents/<slug:slug>/score/", views.AgentScoreView.as_view(), name="api-agent-score"),
    path("agents/<slug:slug>/decision/", decision.agent_decision, name="api-agent-decision"),
    path("policies/", policies.PolicyListView.as_view(), name="api-policies"),
    path("policies/<int:policy_id>/", policies.PolicyDetailView.as_view(), name="api-policy"),
    path("policies/<int:policy_id>/decisions/", policies.PolicyDecisionsView.as_view(), name="api-policy-decisions"),
    path("", include("reputation.api.webhook_urls")),
    path("", include("reputation.api.ledger_urls")),
]
