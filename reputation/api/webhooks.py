"""Webhooks over the API: a buyer's endpoints (secret shown once), rotation, the delivery log, resend."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import require
from accounts.roles import signed_in_user
from reputation import webhooks
from reputation.events import EVENT_TYPES
from reputation.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from trust_portal.api.pagination import CursorPagination, paginated_response
from trust_portal.api.schema import PROBLEM

TAGS = ["webhooks"]


class WebhookInput(serializers.Serializer):
    url = serializers.CharField(
        max_length=500, help_text="https:// and a public address (resolved and checked now and at every delivery)."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)), min_length=1, max_length=len(EVENT_TYPES)
    )
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class WebhookOutput(serializers.ModelSerializer):
    secret_prefix = serializers.SerializerMethodField(help_text="The start of the signing secret, to tell it apart.")
    rotating = serializers.SerializerMethodField(
        help_text="The previous secret still signs too (until previous_secret_expires_at)."
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    events = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "failing_since",
            "secret_prefix",
            "rotating",
            "previous_secret_expires_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_secret_prefix(self, endpoint: WebhookEndpoint) -> str:
        return webhooks.secret_prefix(endpoint.secret)

    def get_rotating(self, endpoint: WebhookEndpoint) -> bool:
        return len(webhooks.signing_secrets(endpoint, timezone.now())) > 1


class IssuedWebhookOutput(WebhookOutput):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (whsec_…), for standardwebhooks.Webhook(secret).verify. Shown once.",
    )

    class Meta(WebhookOutput.Meta):
        fields = [*WebhookOutput.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookAttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "error", "duration_ms"]
        read_only_fields = fields


class WebhookDeliveryOutput(serializers.ModelSerializer):
    status = serializers.CharField(help_text="pending, retrying, succeeded or failed (gave up)")
    attempt_log = WebhookAttemptOutput(many=True, read_only=True, help_text="Every attempt, oldest first.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "msg_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields


def _issued(issued: webhooks.IssuedSecret) -> dict[str, Any]:
    data = dict(WebhookOutput(issued.endpoint).data)
    data["secret"] = issued.secret
    return data


class WebhookListView(APIView):
    """The caller's organization's endpoints; register one (buyer owners)."""

    pagination_class = CursorPagination

    @extend_schema(responses={200: WebhookOutput(many=True), 401: PROBLEM}, tags=TAGS)
    def get(self, request: Request) -> Response:
        endpoints = webhooks.webhook_endpoint_list(user=signed_in_user(request))
        return paginated_response(self, request, endpoints, WebhookOutput, ("-created_at", "-id"))

    @extend_schema(
        request=WebhookInput,
        responses={201: IssuedWebhookOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        require(user, "reputation.manage_webhooks", user.organization)  # before the body is read
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = webhooks.webhook_endpoint_create(user=user, **data.validated_data)
        return Response(_issued(issued), status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    @extend_schema(responses={200: WebhookOutput, 401: PROBLEM, 404: PROBLEM}, tags=TAGS)
    def get(self, request: Request, webhook_id: int) -> Response:
        return Response(WebhookOutput(webhooks.webhook_endpoint_get(user=request.user, webhook_id=webhook_id)).data)

    @extend_schema(responses={204: None, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}, tags=TAGS)
    def delete(self, request: Request, webhook_id: int) -> Response:
        user = signed_in_user(request)
        webhooks.webhook_endpoint_delete(
            user=user, endpoint=webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretView(APIView):
    """A new secret, shown once; the previous one keeps signing beside it for a day (WEBHOOK_SECRET_OVERLAP_HOURS)."""

    @extend_schema(request=None, responses={200: IssuedWebhookOutput, 403: PROBLEM, 404: PROBLEM}, tags=TAGS)
    def post(self, request: Request, webhook_id: int) -> Response:
        user = signed_in_user(request)
        endpoint = webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
        return Response(_issued(webhooks.webhook_endpoint_rotate_secret(user=user, endpoint=endpoint)))


class WebhookSwitchView(APIView):
    enable = True

    @extend_schema(request=None, responses={200: WebhookOutput, 403: PROBLEM, 404: PROBLEM}, tags=TAGS)
    def post(self, request: Request, webhook_id: int) -> Response:
        user = signed_in_user(request)
        endpoint = webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
        switch = webhooks.webhook_endpoint_enable if self.enable else webhooks.webhook_endpoint_disable
        return Response(WebhookOutput(switch(user=user, endpoint=endpoint)).data)


class WebhookEnableView(WebhookSwitchView):
    """Enable an endpoint again (after a 410, five failing days, or a manual disable)."""

    enable = True


class WebhookDisableView(WebhookSwitchView):
    """Stop sending to an endpoint."""

    enable = False


class WebhookDeliveryListView(APIView):
    """The endpoint's delivery log, newest first: status, attempts, next try, last error, every attempt."""

    pagination_class = CursorPagination

    @extend_schema(responses={200: WebhookDeliveryOutput(many=True), 401: PROBLEM, 404: PROBLEM}, tags=TAGS)
    def get(self, request: Request, webhook_id: int) -> Response:
        user = signed_in_user(request)
        endpoint = webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
        deliveries = webhooks.webhook_delivery_list(user=user, endpoint=endpoint)
        return paginated_response(self, request, deliveries, WebhookDeliveryOutput, ("-created_at", "-id"))


class WebhookDeliveryResendView(APIView):
    """Send a delivery again now, with the same webhook-id (202: queued)."""

    @extend_schema(
        request=None, responses={202: WebhookDeliveryOutput, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}, tags=TAGS
    )
    def post(self, request: Request, webhook_id: int, delivery_id: int) -> Response:
        user = signed_in_user(request)
        endpoint = webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
        delivery = webhooks.webhook_delivery_get(user=user, endpoint=endpoint, delivery_id=delivery_id)
        delivery = webhooks.webhook_delivery_resend(user=user, delivery=delivery)
        return Response(WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)
