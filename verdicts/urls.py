from django.urls import path

from verdicts import views

app_name = "verdicts"

urlpatterns = [
    path("agents/<slug:slug>/clauses/<int:pact_id>/<str:clause_id>/", views.clause_why, name="clause"),
    path("evidence/<int:record_id>/proof/", views.record_proof, name="record_proof"),
]
