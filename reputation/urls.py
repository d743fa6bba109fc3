from django.urls import include, path

from reputation import views

app_name = "reputation"

urlpatterns = [
    path("agents/<slug:slug>/score/", views.score_why, name="score"),
    path("", include("reputation.ledger_urls")),
    path("webhooks/", include("reputation.webhook_urls")),
]
