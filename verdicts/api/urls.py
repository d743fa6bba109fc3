from django.urls import path

from verdicts.api import proofs, views

urlpatterns = [
    path("agents/<slug:slug>/verdicts/", views.AgentVerdictsView.as_view(), name="api-agent-verdicts"),
    path("agents/<slug:slug>/bundle/", proofs.BundleView.as_view(), name="api-agent-bundle"),
    path("evidence/<int:record_id>/proof/", proofs.ProofView.as_view(), name="api-evidence-proof"),
]
