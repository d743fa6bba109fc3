"""Vendor signing keys over the API: list, register, revoke."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import signed_in_user
from evidence import selectors, services
from evidence.models import VendorKey
from trust_portal.api.schema import PROBLEM


class KeyInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, default="")
    public_pem = serializers.CharField(max_length=2000, help_text="Ed25519 public key, PEM (SubjectPublicKeyInfo)")


class KeyOutput(serializers.ModelSerializer):
    is_active = serializers.BooleanField()

    class Meta:
        model = VendorKey
        fields = ["key_id", "name", "public_pem", "created_at", "revoked_at", "is_active"]


class KeyListView(APIView):
    @extend_schema(responses={200: KeyOutput(many=True), 401: PROBLEM}, tags=["evidence"])
    def get(self, request: Request) -> Response:
        return Response(KeyOutput(selectors.signing_key_list(user=signed_in_user(request)), many=True).data)

    @extend_schema(
        request=KeyInput, responses={201: KeyOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM}, tags=["evidence"]
    )
    def post(self, request: Request) -> Response:
        data = KeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        key = services.vendor_key_register(user=signed_in_user(request), **data.validated_data)
        return Response(KeyOutput(key).data, status=status.HTTP_201_CREATED)


class KeyDetailView(APIView):
    @extend_schema(responses={200: KeyOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}, tags=["evidence"])
    def delete(self, request: Request, key_id: str) -> Response:
        user = signed_in_user(request)
        key = selectors.signing_key_get(user=user, key_id=key_id)
        return Response(KeyOutput(services.vendor_key_revoke(user=user, key=key)).data)
