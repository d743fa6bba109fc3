from django.urls import path

from evidence.api import access, keys, views

urlpatterns = [
    path("agents/<slug:slug>/evidence/", views.AgentEvidenceView.as_view(), name="api-agent-evidence"),
    path(
        "agents/<slug:slug>/evidence/import/", views.AgentEvidenceImportView.as_view(), name="api-agent-evidence-import"
    ),
    path("agents/<slug:slug>/grants/", views.AgentGrantListView.as_view(), name="api-agent-grants"),
    path("grants/<int:grant_id>/", views.GrantDetailView.as_view(), name="api-grant-detail"),
    path("evidence/<int:record_id>/", views.EvidenceDetailView.as_view(), name="api-evidence-detail"),
    path("ingest-tokens/", views.IngestTokenView.as_view(), name="api-ingest-tokens"),
    path("signing-keys/", keys.KeyListView.as_view(), name="api-signing-keys"),
    path("signing-keys/challenge/", keys.KeyChallengeView.as_view(), name="api-signing-key-challenge"),
    path("signing-keys/<str:key_id>/", keys.KeyDetailView.as_view(), name="api-signing-key"),
    path(
        "agents/<slug:slug>/access-requests/",
        access.AgentAccessRequestsView.as_view(),
        name="api-agent-access-requests",
    ),
    path("agents/<slug:slug>/access-rules/", access.AgentAccessRulesView.as_view(), name="api-agent-access-rules"),
    path("agents/<slug:slug>/access-log/", access.AgentAccessLogView.as_view(), name="api-agent-access-log"),
    path("access-requests/", access.AccessRequestListView.as_view(), name="api-access-requests"),
    path("access-requests/<int:request_id>/", access.AccessRequestDetailView.as_view(), name="api-access-request"),
    *[
        path(f"access-requests/<int:request_id>/{name}/", view.as_view(), name=f"api-access-request-{name}")
        for name, view in access.ACTION_VIEWS.items()
    ],
]
