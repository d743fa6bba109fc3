from django.urls import path

from incidents.api import replay_views, views

urlpatterns = [
    path("incidents/", views.IncidentListView.as_view(), name="api-incidents"),
    path("incidents/metrics/", views.MetricsView.as_view(), name="api-incident-metrics"),
    path("incidents/weaknesses/", views.WeaknessListView.as_view(), name="api-incident-weaknesses"),
    path("incidents/<int:incident_id>/", views.IncidentDetailView.as_view(), name="api-incident"),
    path("incidents/<int:incident_id>/timeline/", views.TimelineView.as_view(), name="api-incident-timeline"),
    path("incidents/<int:incident_id>/notes/<int:note_id>/", views.NoteDetailView.as_view(), name="api-incident-note"),
    path(
        "agents/<slug:slug>/trust-after-degradation/",
        replay_views.DegradationView.as_view(),
        name="api-agent-trust-after-degradation",
    ),
    path("agents/<slug:slug>/replay/", replay_views.ReplayCreateView.as_view(), name="api-agent-replay"),
    path("replays/<int:replay_id>/", replay_views.ReplayDetailView.as_view(), name="api-replay"),
    *(
        path(f"incidents/<int:incident_id>/{action}/", view.as_view(), name=f"api-incident-{action.replace('/', '-')}")
        for action, view in views.ACTION_VIEWS.items()
    ),
]
