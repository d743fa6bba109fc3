"""Vendor signing keys over the API: a challenge to prove possession with, then list, register, revoke."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import require
from accounts.roles import signed_in_user
from evidence import selectors, services
from evidence.models import VendorKey
from trust_portal.api.schema import PROBLEM


class ChallengeOutput(serializers.Serializer):
    challenge = serializers.CharField(help_text="Sign these exact UTF-8 bytes with the key's Ed25519 private key.")
    expires_at = serializers.DateTimeField()
    openssl = serializers.CharField(help_text="Shell lines that sign it with OpenSSL 3 (key in signing-key.pem).")
    python = serializers.CharField(help_text="The same with Python and the cryptography package.")


class KeyInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, default="")
    public_pem = serializers.CharField(max_length=2000, help_text="Ed25519 public key, PEM (SubjectPublicKeyInfo)")
    challenge = serializers.CharField(
        max_length=300, help_text="A challenge from POST /api/v1/signing-keys/challenge/ (15 minutes, once)."
    )
    signature = serializers.CharField(
        max_length=200, help_text="The key's Ed25519 signature over the challenge text, base64."
    )


class KeyOutput(serializers.ModelSerializer):
    is_active = serializers.BooleanField()

    class Meta:
        model = VendorKey
        fields = ["key_id", "name", "public_pem", "created_at", "revoked_at", "is_active"]


class KeyChallengeView(APIView):
    @extend_schema(request=None, responses={200: ChallengeOutput, 401: PROBLEM, 403: PROBLEM}, tags=["evidence"])
    def post(self, request: Request) -> Response:
        """A challenge to sign with the private key of the key you register: it proves you hold it.

        A POST although nothing is stored (the challenge is HMAC-signed): read-only and agent-scoped tokens,
        which may not register keys, get none.
        """
        challenge = services.vendor_key_challenge(user=signed_in_user(request))
        return Response(
            ChallengeOutput(
                {
                    "challenge": challenge.text,
                    "expires_at": challenge.expires_at,
                    "openssl": challenge.openssl_command(),
                    "python": challenge.python_command(),
                }
            ).data
        )


class KeyListView(APIView):
    @extend_schema(responses={200: KeyOutput(many=True), 401: PROBLEM}, tags=["evidence"])
    def get(self, request: Request) -> Response:
        return Response(KeyOutput(selectors.signing_key_list(user=signed_in_user(request)), many=True).data)

    @extend_schema(
        request=KeyInput,
        responses={201: KeyOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        examples=[
            OpenApiExample(
                "register a key",
                value={
                    "name": "ci-pipeline",
                    "public_pem": "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n",
                    "challenge": "trust-portal-key-challenge-v1:42:…",
                    "signature": "base64 of the Ed25519 signature over the challenge",
                },
                request_only=True,
            )
        ],
        tags=["evidence"],
    )
    def post(self, request: Request) -> Response:
        """Register a public key, with the proof of possession: its signature over a fresh challenge."""
        user = signed_in_user(request)
        require(user, "evidence.manage_signing_keys", user.organization)  # before the body is read
        data = KeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        key = services.vendor_key_register(user=user, **data.validated_data)
        return Response(KeyOutput(key).data, status=status.HTTP_201_CREATED)


class KeyDetailView(APIView):
    @extend_schema(
        responses={200: KeyOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}, tags=["evidence"]
    )
    def delete(self, request: Request, key_id: str) -> Response:
        user = signed_in_user(request)
        key = selectors.signing_key_get(user=user, key_id=key_id)
        return Response(KeyOutput(services.vendor_key_revoke(user=user, key=key)).data)
