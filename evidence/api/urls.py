from django.urls import path

from evidence.api import keys, log, verdicts, views

urlpatterns = [
    path("agents/<slug:slug>/evidence/", views.AgentEvidenceView.as_view(), name="api-agent-evidence"),
    path(
        "agents/<slug:slug>/evidence/import/", views.AgentEvidenceImportView.as_view(), name="api-agent-evidence-import"
    ),
    path("agents/<slug:slug>/grants/", views.AgentGrantListView.as_view(), name="api-agent-grants"),
    path("grants/<int:grant_id>/", views.GrantDetailView.as_view(), name="api-grant-detail"),
    path("evidence/<int:record_id>/", views.EvidenceDetailView.as_view(), name="api-evidence-detail"),
    path("ingest-tokens/", views.IngestTokenView.as_view(), name="api-ingest-tokens"),
    path("agents/<slug:slug>/verdicts/", verdicts.AgentVerdictsView.as_view(), name="api-agent-verdicts"),
    path("agents/<slug:slug>/bundle/", log.BundleView.as_view(), name="api-agent-bundle"),
    path("evidence/<int:record_id>/proof/", log.ProofView.as_view(), name="api-evidence-proof"),
    path("log/", log.LogView.as_view(), name="api-log"),
    path("signing-keys/", keys.KeyListView.as_view(), name="api-signing-keys"),
    path("signing-keys/<str:key_id>/", keys.KeyDetailView.as_view(), name="api-signing-key"),
    path("log/key.pem", log.LogKeyView.as_view(), name="api-log-key"),
    path("log/checkpoints/<int:size>/", log.CheckpointView.as_view(), name="api-log-checkpoint"),
    path("log/consistency/", log.ConsistencyView.as_view(), name="api-log-consistency"),
]
