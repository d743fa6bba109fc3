from django.urls import path

from pacts.api import views

urlpatterns = [
    path("agents/", views.AgentListView.as_view(), name="api-agent-list"),
    path("agents/<slug:slug>/", views.AgentDetailView.as_view(), name="api-agent-detail"),
    path("agents/<slug:slug>/follow/", views.AgentFollowView.as_view(), name="api-agent-follow"),
    path("agents/<slug:slug>/pacts/", views.AgentPactListView.as_view(), name="api-agent-pacts"),
    path("pacts/<int:pact_id>/", views.PactDetailView.as_view(), name="api-pact-detail"),
    path("pacts/<int:pact_id>/versions/", views.PactVersionListView.as_view(), name="api-pact-versions"),
    path("pacts/<int:pact_id>/versions/<int:number>/", views.PactVersionDetailView.as_view(), name="api-pact-version"),
    path(
        "pacts/<int:pact_id>/versions/<int:number>/publish/",
        views.PactVersionPublishView.as_view(),
        name="api-pact-publish",
    ),
    path("pacts/<int:pact_id>/review/", views.PactReviewView.as_view(), name="api-pact-review"),
    path("pacts/<int:pact_id>/retire/", views.PactRetireView.as_view(), name="api-pact-retire"),
    path("pacts/<int:pact_id>/diff/", views.PactDiffView.as_view(), name="api-pact-diff"),
    path("schemas/pact-v1.json", views.PactSchemaView.as_view(), name="api-pact-schema"),
]
