"""The transparency log over the API: state, key, checkpoints, consistency proofs, the offline verifier.

All public and read-only: nothing here signs or locks anything (checkpoints are signed by tasks).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from transparency import log as tlog
from transparency.models import LogCheckpoint
from transparency.verifier import FILENAME, verifier_pyz
from trust_portal.api.params import int_parameter, query_int
from trust_portal.api.schema import PROBLEM

PUBLIC = [AllowAny]


def checkpoint_body(cp: LogCheckpoint | None) -> dict[str, Any] | None:
    if cp is None:
        return None
    return {
        "size": cp.size,
        "root_hash": tlog.b64(bytes(cp.root_hash)),
        "checkpoint": cp.note,
        "key_name": cp.key.name,
        "key_id": cp.key.key_id,
        "signed_at": cp.signed_at,
    }


class LogView(APIView):
    permission_classes = PUBLIC

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        tags=["log"],
        description="The log's origin, size and key id, and its latest signed checkpoint (null until the first is "
        "signed; leaves appended since the latest checkpoint are covered by the next one, signed within seconds).",
    )
    def get(self, request: Request) -> Response:
        key = tlog.signing_key()
        return Response(
            {
                "origin": key.name,
                "size": tlog.log_size(),
                "key_id": key.key_id,
                "latest": checkpoint_body(tlog.checkpoint_latest()),
            }
        )


class LogKeyView(APIView):
    permission_classes = PUBLIC

    @extend_schema(
        responses={(200, "application/x-pem-file"): OpenApiResponse(description="Ed25519 public key, PEM")},
        tags=["log"],
    )
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(tlog.signing_key().public_pem, content_type="application/x-pem-file")


class VerifierView(APIView):
    permission_classes = PUBLIC

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                description="trust-verify.pyz: run `python trust-verify.pyz BUNDLE --key log-key.pem` "
                "with only `cryptography` installed"
            )
        },
        tags=["log"],
    )
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(verifier_pyz(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
        response["Cache-Control"] = "public, max-age=3600"
        return response


class CheckpointView(APIView):
    permission_classes = PUBLIC

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: PROBLEM}, tags=["log"])
    def get(self, request: Request, size: int) -> Response:
        return Response(checkpoint_body(tlog.checkpoint_at(size)))


class ConsistencyView(APIView):
    permission_classes = PUBLIC

    @extend_schema(
        parameters=[int_parameter("from", required=True), int_parameter("to", required=True)],
        responses={200: OpenApiTypes.OBJECT, 400: PROBLEM},
        tags=["log"],
    )
    def get(self, request: Request) -> Response:
        return Response(tlog.consistency(old_size=query_int(request, "from"), new_size=query_int(request, "to")))
