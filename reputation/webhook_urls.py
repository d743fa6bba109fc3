"""Webhook pages, under /webhooks/ in the reputation namespace."""

from django.urls import path

from reputation import webhook_views as views

urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("<int:webhook_id>/", views.webhook_detail, name="webhook"),
    path("<int:webhook_id>/rotate/", views.webhook_rotate, name="webhook_rotate"),
    path("<int:webhook_id>/enable/", views.webhook_enable, name="webhook_enable"),
    path("<int:webhook_id>/disable/", views.webhook_disable, name="webhook_disable"),
    path("<int:webhook_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("<int:webhook_id>/deliveries/<int:delivery_id>/resend/", views.webhook_resend, name="webhook_resend"),
]
