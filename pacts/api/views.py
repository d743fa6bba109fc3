"""Agents and pacts over the API: the same selectors, services and permission checks as the pages."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from accounts.permissions import require
from accounts.roles import signed_in_user
from pacts import selectors, services
from pacts.api import serializers as s
from pacts.diff import diff_documents
from pacts.documents import SCHEMA_PATH
from trust_portal.api.pagination import CursorPagination, paginated_response
from trust_portal.api.params import query_filters
from trust_portal.api.schema import PROBLEM

READ_PUBLIC = [IsAuthenticatedOrReadOnly, TokenScopeAllows]


class AgentListView(APIView):
    permission_classes = READ_PUBLIC
    pagination_class = CursorPagination  # for the schema: the GET answers through paginated_response

    @extend_schema(
        parameters=[s.directory_query()],
        responses={200: s.directory_output()(many=True), 400: PROBLEM},
        tags=["agents"],
        description="The directory: every agent with its tier, score and bound, clause summary, freshest public "
        "evidence and open disputes; filters by vendor, tier, search, stale pacts, clause status, evidence age, open "
        "disputes and (signed in) an access policy of yours.",
    )
    def get(self, request: Request) -> Response:
        params = query_filters(request, s.directory_query())
        base = {name: params.pop(name) for name in ("q", "vendor", "stale")}
        agents = selectors.agent_list(user=request.user, **base, filters=params)
        return paginated_response(self, request, agents, s.directory_output(), "slug")

    @extend_schema(
        request=s.AgentCreateInput,
        responses={201: s.agent_detail_output(), 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        tags=["agents"],
    )
    def post(self, request: Request) -> Response:
        data = s.AgentCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        agent = services.agent_create(user=user, **data.validated_data)
        return Response(
            s.agent_detail_output()(selectors.agent_get(user=user, slug=agent.slug)).data,
            status=status.HTTP_201_CREATED,
        )


class AgentDetailView(APIView):
    permission_classes = READ_PUBLIC

    @extend_schema(
        responses={200: s.agent_detail_output(), 404: PROBLEM},
        tags=["agents"],
        description="One agent: what the directory says of it (tier, score and its conservative lower bound, clause "
        "summary, freshest public evidence, open disputes) and its agent card.",
    )
    def get(self, request: Request, slug: str) -> Response:
        return Response(s.agent_detail_output()(selectors.agent_get(user=request.user, slug=slug)).data)


class AgentFollowView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(
        request=None, responses={200: s.AgentOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}, tags=["agents"]
    )
    def post(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        services.agent_follow(agent=selectors.agent_get(user=user, slug=slug), user=user)
        return Response(s.AgentOutput(selectors.agent_get(user=user, slug=slug)).data)

    @extend_schema(responses={200: s.AgentOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}, tags=["agents"])
    def delete(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        services.agent_unfollow(agent=selectors.agent_get(user=user, slug=slug), user=user)
        return Response(s.AgentOutput(selectors.agent_get(user=user, slug=slug)).data)


class AgentPactListView(APIView):
    permission_classes = READ_PUBLIC
    pagination_class = CursorPagination

    @extend_schema(responses={200: s.PactOutput(many=True), 404: PROBLEM}, tags=["pacts"])
    def get(self, request: Request, slug: str) -> Response:
        agent = selectors.agent_get(user=request.user, slug=slug)
        return paginated_response(
            self, request, selectors.agent_pacts(user=request.user, agent=agent), s.PactOutput, "id"
        )

    @extend_schema(
        request=s.PactCreateInput,
        responses={201: s.PactOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 413: PROBLEM},
        tags=["pacts"],
    )
    def post(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = selectors.agent_get(user=user, slug=slug)
        require(user, "pacts.author_pact", agent)  # before the body is read: outsiders learn nothing from validation
        data = s.PactCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        pact = services.pact_create(agent=agent, user=user, **data.validated_data)
        return Response(
            s.PactOutput(selectors.pact_get(user=user, pact_id=pact.pk)).data, status=status.HTTP_201_CREATED
        )


class PactDetailView(APIView):
    permission_classes = READ_PUBLIC

    @extend_schema(responses={200: s.PactOutput, 404: PROBLEM}, tags=["pacts"])
    def get(self, request: Request, pact_id: int) -> Response:
        return Response(s.PactOutput(selectors.pact_get(user=request.user, pact_id=pact_id)).data)


class PactVersionListView(APIView):
    permission_classes = READ_PUBLIC
    pagination_class = CursorPagination

    @extend_schema(responses={200: s.PactVersionSummaryOutput(many=True), 404: PROBLEM}, tags=["pacts"])
    def get(self, request: Request, pact_id: int) -> Response:
        pact = selectors.pact_get(user=request.user, pact_id=pact_id)
        versions = selectors.pact_version_list(user=request.user, pact=pact)
        return paginated_response(self, request, versions, s.PactVersionSummaryOutput, "-number")

    @extend_schema(
        request=s.PactVersionCreateInput,
        responses={
            201: s.PactVersionOutput,
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            413: PROBLEM,
        },
        tags=["pacts"],
    )
    def post(self, request: Request, pact_id: int) -> Response:
        user = signed_in_user(request)
        pact = selectors.pact_get(user=user, pact_id=pact_id)
        require(user, "pacts.author_pact", pact)
        data = s.PactVersionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.pact_version_create_draft(pact=pact, user=user, **data.validated_data)
        fresh = selectors.pact_version_get(user=user, pact=pact, number=version.number)
        return Response(s.PactVersionOutput(fresh).data, status=status.HTTP_201_CREATED)


class PactVersionDetailView(APIView):
    permission_classes = READ_PUBLIC

    @extend_schema(responses={200: s.PactVersionOutput, 404: PROBLEM}, tags=["pacts"])
    def get(self, request: Request, pact_id: int, number: int) -> Response:
        pact = selectors.pact_get(user=request.user, pact_id=pact_id)
        return Response(
            s.PactVersionOutput(selectors.pact_version_get(user=request.user, pact=pact, number=number)).data
        )

    @extend_schema(
        request=s.PactVersionPatchInput,
        responses={
            200: s.PactVersionOutput,
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            413: PROBLEM,
        },
        tags=["pacts"],
    )
    def patch(self, request: Request, pact_id: int, number: int) -> Response:
        user = signed_in_user(request)
        pact = selectors.pact_get(user=user, pact_id=pact_id)
        version = selectors.pact_version_get(user=user, pact=pact, number=number)
        require(user, "pacts.author_pact", version)
        data = s.PactVersionPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.pact_version_update_draft(version=version, user=user, **data.validated_data)
        return Response(s.PactVersionOutput(selectors.pact_version_get(user=user, pact=pact, number=number)).data)


class PactVersionPublishView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(
        request=s.PublishInput,
        responses={200: s.PactVersionOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        tags=["pacts"],
    )
    def post(self, request: Request, pact_id: int, number: int) -> Response:
        user = signed_in_user(request)
        pact = selectors.pact_get(user=user, pact_id=pact_id)
        version = selectors.pact_version_get(user=user, pact=pact, number=number)
        require(user, "pacts.publish_version", version)
        data = s.PublishInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.pact_version_publish(version=version, user=user, **data.validated_data)
        return Response(s.PactVersionOutput(selectors.pact_version_get(user=user, pact=pact, number=number)).data)


class PactReviewView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(
        request=s.ReviewInput,
        responses={200: s.PactOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        tags=["pacts"],
    )
    def post(self, request: Request, pact_id: int) -> Response:
        user = signed_in_user(request)
        pact = selectors.pact_get(user=user, pact_id=pact_id)
        require(user, "pacts.review_pact", pact)
        data = s.ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.pact_review(pact=pact, user=user, note=data.validated_data["note"])
        return Response(s.PactOutput(selectors.pact_get(user=user, pact_id=pact_id)).data)


class PactRetireView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(
        request=s.ReviewInput,
        responses={200: s.PactOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        tags=["pacts"],
        description="Withdraw the pact (owners): every version in force is retired; nothing is promised any more.",
    )
    def post(self, request: Request, pact_id: int) -> Response:
        user = signed_in_user(request)
        pact = selectors.pact_get(user=user, pact_id=pact_id)
        require(user, "pacts.retire_pact", pact)
        data = s.ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.pact_retire(pact=pact, user=user, note=data.validated_data["note"])
        return Response(s.PactOutput(selectors.pact_get(user=user, pact_id=pact_id)).data)


class PactDiffView(APIView):
    permission_classes = READ_PUBLIC

    @extend_schema(
        parameters=[s.DiffQueryInput],  # from and to, at least 1
        responses={200: s.DiffOutput, 400: PROBLEM, 404: PROBLEM},
        tags=["pacts"],
    )
    def get(self, request: Request, pact_id: int) -> Response:
        pact = selectors.pact_get(user=request.user, pact_id=pact_id)
        query = s.DiffQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        old = selectors.pact_version_get(user=request.user, pact=pact, number=query.validated_data["from"])
        new = selectors.pact_version_get(user=request.user, pact=pact, number=query.validated_data["to"])
        diff = diff_documents(old.document, new.document)
        return Response(
            s.DiffOutput(
                {
                    "pact": pact.pk,
                    "from": old.number,
                    "to": new.number,
                    "direction": diff.direction,
                    "clauses": diff.clauses,
                    "document": diff.document,
                }
            ).data
        )


class PactSchemaView(APIView):
    """The pact/v1 JSON Schema, as shipped in the repository."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        responses={(200, "application/schema+json"): OpenApiResponse(description="JSON Schema (draft 2020-12)")},
        tags=["pacts"],
    )
    def get(self, request: Request) -> FileResponse:
        response = FileResponse(SCHEMA_PATH.open("rb"), content_type="application/schema+json")
        response["Cache-Control"] = "public, max-age=3600"
        return response
