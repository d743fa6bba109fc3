"""Evidence over the API: submit (one, a batch, a tool's file), list, read, grant access."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from accounts.api.serializers import IssuedTokenOutput
from accounts.models import ApiToken, Organization
from accounts.permissions import require
from accounts.roles import signed_in_user
from evidence import selectors, services
from evidence.api import serializers as s
from evidence.errors import EvidenceInvalid
from evidence.idempotency import fingerprint, run_idempotently
from evidence.importers import ImportOptions
from evidence.models import EvidenceRecord
from pacts.selectors import agent_find
from trust_portal.api.exceptions import problem_response
from trust_portal.api.pagination import CursorPagination, paginated_response
from trust_portal.api.params import query_filters
from trust_portal.api.parsers import SafeFileUploadParser, SafeMultiPartParser
from trust_portal.api.schema import PROBLEM

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Retry safely: the same key and body replay the first response; another body is 422; a retry while the first runs is 409.",
)
RECORD_EXAMPLE = {
    "kind": "telemetry",
    "metric": "task_success",
    "successes": 57,
    "trials": 60,
    "observed_from": "2026-11-20T00:00:00Z",
    "observed_to": "2026-11-21T00:00:00Z",
    "source": {"tool": "prod-telemetry", "version": "1.4"},
    "visibility": "public",
}


def _token(request: Request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class AgentEvidenceView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    scoped_tokens_may_write = True  # the service checks the token's agents
    pagination_class = CursorPagination  # for the schema: the GET answers through paginated_response

    @extend_schema(
        parameters=[s.EvidenceListQuery],
        responses={200: s.EvidenceRecordOutput(many=True), 400: PROBLEM, 404: PROBLEM},
        tags=["evidence"],
    )
    def get(self, request: Request, slug: str) -> Response:
        agent = agent_find(user=request.user, slug=slug)
        filters = query_filters(request, s.EvidenceListQuery)
        records = selectors.evidence_list(user=request.user, agent=agent, **filters).select_related("agent")
        return paginated_response(self, request, records, s.EvidenceRecordOutput, ("-observed_to", "-id"))

    @extend_schema(
        request={"application/json": {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}},
        parameters=[IDEMPOTENCY],
        responses={
            201: OpenApiResponse(description="One record (object in) or {count, records} (list in)"),
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            413: PROBLEM,
            422: PROBLEM,
        },
        examples=[OpenApiExample("one record", value=RECORD_EXAMPLE, request_only=True)],
        tags=["evidence"],
    )
    def post(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = agent_find(user=user, slug=slug)  # the hot path: no directory annotations
        token = _token(request)
        services.require_submitter(agent=agent, user=user, token=token)
        raw_body = request.body  # read first: the fingerprint is over the exact bytes sent
        body = request.data  # parsed before the idempotency claim: malformed JSON is a plain 400
        batch = isinstance(body, list)

        def work() -> tuple[int, Any]:
            records = services.evidence_submit(
                agent=agent, items=list(body) if batch else [body], user=user, token=token, batch=batch
            )
            if batch:
                return 201, {
                    "count": len(records),
                    "records": [{"id": r.id, "canonical_hash": r.canonical_hash} for r in records],
                }
            stored = EvidenceRecord.objects.select_related("agent", "attachment").get(pk=records[0].id)
            return 201, dict(s.EvidenceRecordOutput(stored).data)

        organization = user.organization
        response, replayed = run_idempotently(
            scope=f"org:{organization.pk if organization else user.pk}",
            key=request.headers.get("Idempotency-Key"),
            print_=fingerprint(request.method or "POST", request.path, raw_body),
            work=work,
        )
        out = Response(response.body, status=response.status)
        if replayed:
            out["Idempotent-Replayed"] = "true"
        return out


class _FormatIsNotARenderer(DefaultContentNegotiation):
    """Here ``?format=`` names the file format (DESIGN.md's contract), not a response renderer."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)  # type: ignore[assignment]


class AgentEvidenceImportView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]
    content_negotiation_class = _FormatIsNotARenderer
    scoped_tokens_may_write = True  # the service checks the token's agents
    parser_classes = [SafeMultiPartParser, SafeFileUploadParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, required=True, enum=["inspect", "promptfoo", "jsonl", "csv"]),
            OpenApiParameter("metric", str, description="Record the tool's score under this metric name"),
            OpenApiParameter("visibility", str, enum=["public", "restricted"]),
        ],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            },
            "application/octet-stream": {"type": "string", "format": "binary"},
        },
        responses={
            201: s.ImportOutput,
            200: s.ImportOutput,
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            413: PROBLEM,
        },
        tags=["evidence"],
    )
    def post(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = agent_find(user=user, slug=slug)
        services.require_submitter(agent=agent, user=user, token=_token(request))  # before the upload is read
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None:
            return problem_response(
                status_code=400,
                title="Invalid request",
                detail="Send the result file as multipart field 'file'.",
                code="invalid",
                errors=[{"field": "file", "message": "Required.", "code": "required"}],
            )
        visibility = request.query_params.get("visibility", "public")
        if visibility not in ("public", "restricted"):
            raise EvidenceInvalid("visibility must be public or restricted.", field="visibility")
        options = ImportOptions(metric=request.query_params.get("metric", "")[:63], visibility=visibility)
        data = upload.read(services.import_limit_bytes() + 1)
        evidence_import, created = services.evidence_import(
            agent=agent,
            data=data,
            fmt=request.query_params.get("format", ""),
            user=user,
            token=_token(request),
            filename=getattr(upload, "name", ""),
            options=options,
        )
        body = dict(
            s.ImportOutput(
                {
                    **{f: getattr(evidence_import, f) for f in s.ImportOutput.Meta.fields if f != "created"},
                    "created": created,
                }
            ).data
        )
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class EvidenceDetailView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(responses={200: s.EvidenceRecordOutput, 404: PROBLEM}, tags=["evidence"])
    def get(self, request: Request, record_id: int) -> Response:
        return Response(s.EvidenceRecordOutput(selectors.evidence_get(user=request.user, record_id=record_id)).data)


class AgentGrantListView(APIView):
    @extend_schema(responses={200: s.GrantOutput(many=True), 401: PROBLEM, 404: PROBLEM}, tags=["evidence"])
    def get(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = agent_find(user=user, slug=slug)
        return Response(s.GrantOutput(selectors.access_grant_list(user=user, agent=agent), many=True).data)

    @extend_schema(
        request=s.GrantInput,
        responses={201: s.GrantOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        tags=["evidence"],
    )
    def post(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = agent_find(user=user, slug=slug)
        require(user, "evidence.manage_grants", agent)  # before the body is read
        data = s.GrantInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization = Organization.objects.filter(slug=data.validated_data["organization"]).first()
        if organization is None:
            raise EvidenceInvalid("No such organization.", field="organization")
        grant = services.access_grant_create(
            agent=agent,
            organization=organization,
            user=user,
            expires_at=data.validated_data["expires_at"],
            note=data.validated_data["note"],
        )
        return Response(s.GrantOutput(grant).data, status=status.HTTP_201_CREATED)


class GrantDetailView(APIView):
    @extend_schema(responses={200: s.GrantOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}, tags=["evidence"])
    def delete(self, request: Request, grant_id: int) -> Response:
        user = signed_in_user(request)
        grant = selectors.access_grant_get(user=user, grant_id=grant_id)
        return Response(s.GrantOutput(services.access_grant_revoke(grant=grant, user=user)).data)


class IngestTokenView(APIView):
    @extend_schema(
        request=s.IngestTokenInput,
        responses={201: IssuedTokenOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        tags=["evidence"],
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        data = s.IngestTokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        # each named agent once, looked up lean (no directory annotations): 200 slugs are one query each, not 200
        # annotated directory reads (found by schemathesis: 19 s for a list of 200 "0"s under load)
        agents = [agent_find(user=user, slug=slug) for slug in dict.fromkeys(data.validated_data["agents"])]
        issued = services.ingest_token_create(
            user=user, name=data.validated_data["name"], agents=agents, expires_at=data.validated_data["expires_at"]
        )
        body = dict(IssuedTokenOutput(issued.token).data)
        body["token"] = issued.plaintext
        body["agents"] = [a.slug for a in agents]
        return Response(body, status=status.HTTP_201_CREATED)
