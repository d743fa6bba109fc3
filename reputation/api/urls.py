from django.urls import path

from reputation.api import views

urlpatterns = [
    path("agents/<slug:slug>/score/", views.AgentScoreView.as_view(), name="api-agent-score"),
]
