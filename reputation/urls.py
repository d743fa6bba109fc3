from django.urls import include, path

from reputation import views, views_policies

app_name = "reputation"

urlpatterns = [
    path("agents/<slug:slug>/score/", views.score_why, name="score"),
    path("policies/", views_policies.policy_list, name="policies"),
    path("policies/preview/", views_policies.policy_preview, name="policy_preview"),
    path("policies/<int:policy_id>/", views_policies.policy_detail, name="policy"),
    path("policies/<int:policy_id>/archive/", views_policies.policy_archive, name="policy_archive"),
    path("webhooks/", include("reputation.webhook_urls")),
    path("", include("reputation.ledger_urls")),
]
