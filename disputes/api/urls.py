from django.urls import path

from disputes.api import views

urlpatterns = [
    path("disputes/", views.DisputeListView.as_view(), name="api-disputes"),
    path("disputes/<int:dispute_id>/", views.DisputeDetailView.as_view(), name="api-dispute"),
    *(
        path(f"disputes/<int:dispute_id>/{action}/", view.as_view(), name=f"api-dispute-{action}")
        for action, view in views.ACTION_VIEWS.items()
    ),
    path("rulings/", views.PrecedentView.as_view(), name="api-rulings"),
    path("arbiter/queue/", views.ArbiterQueueView.as_view(), name="api-arbiter-queue"),
    path("arbiter/conflicts/", views.ConflictListView.as_view(), name="api-arbiter-conflicts"),
    path("arbiter/conflicts/<int:conflict_id>/", views.ConflictDetailView.as_view(), name="api-arbiter-conflict"),
]
