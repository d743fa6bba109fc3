from django.urls import path

from pacts import views

app_name = "pacts"

urlpatterns = [
    path("agents/", views.agent_list, name="agent_list"),
    path("agents/new/", views.agent_create, name="agent_create"),
    path("agents/<slug:slug>/", views.agent_detail, name="agent"),
    path("agents/<slug:slug>/follow/", views.agent_follow_toggle, name="follow"),
    path("agents/<slug:slug>/pacts/new/", views.pact_create, name="pact_create"),
    path("pacts/validate/", views.document_validate, name="validate"),
    path("pacts/<int:pact_id>/v/<int:number>/", views.version_detail, name="version"),
    path("pacts/<int:pact_id>/v/<int:number>/publish/", views.version_publish, name="publish"),
    path("pacts/<int:pact_id>/versions/new/", views.version_new_draft, name="new_draft"),
    path("pacts/<int:pact_id>/review/", views.pact_review, name="review"),
    path("pacts/<int:pact_id>/retire/", views.pact_retire, name="retire"),
    path("pacts/<int:pact_id>/diff/", views.pact_diff, name="diff"),
]
