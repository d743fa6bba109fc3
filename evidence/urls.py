from django.urls import path

from evidence import views

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
]
