from django.urls import path

from reputation.api import webhooks

urlpatterns = [
    path("webhooks/", webhooks.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:webhook_id>/", webhooks.WebhookDetailView.as_view(), name="api-webhook"),
    path(
        "webhooks/<int:webhook_id>/rotate-secret/",
        webhooks.WebhookRotateSecretView.as_view(),
        name="api-webhook-rotate-secret",
    ),
    path("webhooks/<int:webhook_id>/enable/", webhooks.WebhookEnableView.as_view(), name="api-webhook-enable"),
    path("webhooks/<int:webhook_id>/disable/", webhooks.WebhookDisableView.as_view(), name="api-webhook-disable"),
    path(
        "webhooks/<int:webhook_id>/deliveries/",
        webhooks.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/resend/",
        webhooks.WebhookDeliveryResendView.as_view(),
        name="api-webhook-delivery-resend",
    ),
]
