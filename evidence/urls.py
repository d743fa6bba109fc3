from django.urls import path

from evidence import access_views, views

app_name = "evidence"

urlpatterns = [
    path("evidence/", views.my_evidence, name="my_evidence"),
    path("agents/<slug:slug>/evidence/", views.agent_evidence, name="agent"),
    path("agents/<slug:slug>/evidence/import/", views.evidence_import, name="import"),
    path("agents/<slug:slug>/grants/", views.grant_create, name="grant_create"),
    path("grants/<int:grant_id>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("evidence/<int:record_id>/", views.record_detail, name="record"),
    path("evidence/<int:record_id>/attachment/", views.record_attachment, name="attachment"),
    path("evidence/signing-keys/", views.signing_key_register, name="signing_key_register"),
    path("evidence/signing-keys/<str:key_id>/revoke/", views.signing_key_revoke, name="signing_key_revoke"),
    path("access-requests/", access_views.access_request_list, name="access_requests"),
    path("agents/<slug:slug>/access-requests/", access_views.access_request_create, name="access_request_create"),
    path("agents/<slug:slug>/access-rules/", access_views.access_rules, name="access_rules"),
    path("agents/<slug:slug>/access-log/", access_views.access_log, name="access_log"),
    *[
        path(
            f"access-requests/<int:request_id>/{action}/",
            access_views.access_request_transition,
            {"action": action},
            name=f"access_request_{action.replace('-', '_')}",
        )
        for action in access_views.FORMS
    ],
]
