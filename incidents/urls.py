from django.urls import path

from incidents import replay_pages, views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/new/", views.incident_new, name="new"),
    path("incidents/metrics/", views.dashboard, name="metrics"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="detail"),
    path("incidents/<int:incident_id>/postmortem/", views.postmortem_edit, name="postmortem"),
    path("incidents/<int:incident_id>/notes/<int:note_id>/", views.note_edit, name="note"),
    path("incidents/<int:incident_id>/<slug:action>/", views.incident_action, name="action"),
    path("agents/<slug:slug>/trust-after-degradation/", replay_pages.degradation_page, name="degradation"),
    path("agents/<slug:slug>/replay/", replay_pages.replay_start, name="replay-start"),
    path("replays/<int:replay_id>/", replay_pages.replay_page, name="replay"),
]
