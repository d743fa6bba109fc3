from django.urls import path

from disputes import views

app_name = "disputes"

urlpatterns = [
    path("disputes/", views.dispute_list, name="list"),
    path("disputes/new/", views.dispute_new, name="file"),
    path("disputes/queue/", views.arbiter_queue, name="queue"),
    path("disputes/precedent/", views.precedent, name="precedent"),
    path("disputes/conflicts/", views.conflicts, name="conflicts"),
    path("disputes/conflicts/<int:conflict_id>/delete/", views.conflict_delete, name="conflict-delete"),
    path("disputes/<int:dispute_id>/", views.dispute_detail, name="detail"),
    path("disputes/<int:dispute_id>/<slug:action>/", views.dispute_action, name="action"),
    path("disputes/<int:dispute_id>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
