"""Proofs about evidence over the API: a record's inclusion proof, and an agent's portable bundle.

Both join evidence (what the reader may see) with the log (what it proves); neither signs anything. A
record appended after the latest checkpoint answers 202 ``pending`` until the next one covers it.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from evidence.access_requests import access_log_write
from evidence.selectors import evidence_get
from pacts.selectors import agent_find
from transparency import log as tlog
from trust_portal.api.params import int_parameter, query_int_or_none
from trust_portal.api.schema import PROBLEM
from trust_portal.errors import NotFound
from verdicts.bundle import bundle_build


class ProofView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        parameters=[
            int_parameter("size", minimum=1, description="Checkpoint size; default: the latest covering the record")
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            202: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"status": "pending", "leaf_index", "log_size", "covered_from_size"}: the record is '
                "logged but no signed checkpoint covers it yet; retry in a few seconds",
            ),
            400: PROBLEM,
            404: PROBLEM,
        },
        tags=["log"],
    )
    def get(self, request: Request, record_id: int) -> Response:
        record = evidence_get(user=request.user, record_id=record_id)
        leaf = record.leaf_index
        if leaf is None:
            raise NotFound("This record is not in the log.")
        size = query_int_or_none(request, "size", minimum=1)
        checkpoint = tlog.checkpoint_at(size) if size is not None else tlog.checkpoint_covering(leaf)
        if checkpoint is None:
            return Response(
                {"status": "pending", "leaf_index": leaf, "log_size": tlog.log_size(), "covered_from_size": leaf + 1},
                status=202,
                headers={"Retry-After": "5"},
            )
        body = tlog.inclusion(index=leaf, checkpoint=checkpoint)
        body["data"] = record.canonical
        return Response(body)


class BundleView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT, 404: PROBLEM}, tags=["log"])
    def get(self, request: Request, slug: str) -> HttpResponse:
        agent = agent_find(user=request.user, slug=slug)
        bundle = bundle_build(user=request.user, agent=agent)
        # the vendor sees who downloaded its restricted records (evidence's access log; one INSERT)
        access_log_write(user=request.user, agent=agent, record_ids=[r["id"] for r in bundle["records"]], via="bundle")
        response = HttpResponse(json.dumps(bundle, indent=1), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{agent.slug}-evidence-bundle.json"'
        return response
