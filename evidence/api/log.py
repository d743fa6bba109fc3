"""The transparency log over the API: key, checkpoints, inclusion and consistency proofs, bundles."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from evidence import log as tlog
from evidence.bundle import bundle_build
from evidence.errors import EvidenceInvalid
from evidence.models import LogCheckpoint
from evidence.selectors import evidence_get
from pacts.selectors import agent_get
from trust_portal.errors import NotFound

PROBLEM = OpenApiResponse(
    description="Problem details (application/problem+json)", response={"$ref": "#/components/schemas/Problem"}
)
PUBLIC = [AllowAny]


def _checkpoint_body(cp: LogCheckpoint) -> dict[str, Any]:
    return {
        "size": cp.size,
        "root_hash": tlog.b64(bytes(cp.root_hash)),
        "checkpoint": cp.note,
        "key_name": cp.key.name,
        "key_id": cp.key.key_id,
        "signed_at": cp.signed_at,
    }


def _int(request: Request, name: str, default: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise EvidenceInvalid(f"{name} is required.", field=name)
        return default
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise EvidenceInvalid(f"{name} must be a whole number.", field=name)
    return int(raw)


class LogView(APIView):
    permission_classes = PUBLIC

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["log"])
    def get(self, request: Request) -> Response:
        latest = tlog.checkpoint_latest()
        key = tlog.signing_key()
        return Response(
            {"origin": key.name, "size": tlog.log_size(), "key_id": key.key_id, "latest": _checkpoint_body(latest)}
        )


class LogKeyView(APIView):
    permission_classes = PUBLIC

    @extend_schema(
        responses={(200, "application/x-pem-file"): OpenApiResponse(description="Ed25519 public key, PEM")},
        tags=["log"],
    )
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(tlog.signing_key().public_pem, content_type="application/x-pem-file")


class CheckpointView(APIView):
    permission_classes = PUBLIC

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: PROBLEM}, tags=["log"])
    def get(self, request: Request, size: int) -> Response:
        return Response(_checkpoint_body(tlog.checkpoint_at(size)))


class ConsistencyView(APIView):
    permission_classes = PUBLIC

    @extend_schema(
        parameters=[OpenApiParameter("from", int, required=True), OpenApiParameter("to", int, required=True)],
        responses={200: OpenApiTypes.OBJECT, 400: PROBLEM},
        tags=["log"],
    )
    def get(self, request: Request) -> Response:
        return Response(tlog.consistency(old_size=_int(request, "from"), new_size=_int(request, "to")))


class ProofView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        parameters=[
            OpenApiParameter("size", int, description="Checkpoint size; default: the latest covering the record")
        ],
        responses={200: OpenApiTypes.OBJECT, 400: PROBLEM, 404: PROBLEM},
        tags=["log"],
    )
    def get(self, request: Request, record_id: int) -> Response:
        record = evidence_get(user=request.user, record_id=record_id)
        leaf = record.leaf_index
        if leaf is None:
            raise NotFound("This record is not in the log yet.")
        if request.query_params.get("size"):
            cp = tlog.checkpoint_at(_int(request, "size"))
        else:
            cp = tlog.checkpoint_covering(leaf)
        body = tlog.inclusion(index=leaf, checkpoint=cp)
        body["data"] = record.canonical
        return Response(body)


class BundleView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT, 404: PROBLEM}, tags=["log"])
    def get(self, request: Request, slug: str) -> HttpResponse:
        agent = agent_get(user=request.user, slug=slug)
        bundle = bundle_build(user=request.user, agent=agent)
        response = HttpResponse(json.dumps(bundle, indent=1), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{agent.slug}-evidence-bundle.json"'
        return response
