from django.urls import path

from transparency.api import views

urlpatterns = [
    path("log/", views.LogView.as_view(), name="api-log"),
    path("log/key.pem", views.LogKeyView.as_view(), name="api-log-key"),
    path("log/verifier.pyz", views.VerifierView.as_view(), name="api-log-verifier"),
    path("log/checkpoints/<int:size>/", views.CheckpointView.as_view(), name="api-log-checkpoint"),
    path("log/consistency/", views.ConsistencyView.as_view(), name="api-log-consistency"),
]
