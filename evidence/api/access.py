"""Access requests over the API: a buyer asks, the vendor's owners decide, the buyer accepts an NDA; the vendor's
auto-approval rules and access log (docs/evidence.md, "Access requests").

404 to whoever may not see the request (neither the buyer that asked nor the agent's vendor), 403 to whoever sees
it but may not act, then the body (400 naming the field), then the transition (409 naming the current state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import require
from accounts.roles import signed_in_user
from evidence import access_requests as access
from evidence.api import serializers as s
from evidence.models import AccessRequest
from pacts.selectors import agent_find
from trust_portal.api.pagination import CursorPagination, paginated_response
from trust_portal.api.params import query_filters
from trust_portal.api.schema import PROBLEM
from trust_portal.clients import client_address

TAGS = ["access requests"]


def _body(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def request_body(user: Any, request_id: int) -> dict[str, Any]:
    found = access.access_request_get(user=user, request_id=request_id)
    context = {"actions": {found.pk: access.actions_for(user, found)}}
    return s.AccessRequestDetailOutput(found, context=context).data  # type: ignore[return-value]


class AgentAccessRequestsView(APIView):
    @extend_schema(
        request=s.AccessRequestInput,
        responses={
            201: s.AccessRequestDetailOutput,
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
        },
        description="A buyer organization's member asks to see the agent's restricted evidence. 201 `pending`, or "
        "`approved` at once when one of the vendor's auto-approval rules matches; 409 while a request of the "
        "organization for this agent is pending.",
        examples=[
            OpenApiExample("request", value={"reason": "Vendor due diligence before our pilot."}, request_only=True)
        ],
        tags=TAGS,
    )
    def post(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = agent_find(user=user, slug=slug)
        require(user, "evidence.request_access", agent)  # before the body is read
        fields = _body(s.AccessRequestInput, request)
        created = access.access_request_create(user=user, agent=agent, reason=fields["reason"])
        return Response(request_body(user, created.pk), status=status.HTTP_201_CREATED)


class AccessRequestListView(APIView):
    pagination_class = CursorPagination  # for the schema: the GET answers through paginated_response

    @extend_schema(
        parameters=[s.AccessRequestListQuery],
        responses={200: s.AccessRequestOutput(many=True), 400: PROBLEM, 401: PROBLEM},
        description="The caller's access requests: a buyer's own organization's, a vendor's incoming ones (empty for "
        "anyone else). Filters: `status` (as of now: an approval whose grant ran out is `expired`), `agent`.",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        filters = query_filters(request, s.AccessRequestListQuery)
        found = access.access_request_list(user=user, status=filters["status"])
        if filters["agent"]:
            found = found.filter(agent__slug=filters["agent"])
        return paginated_response(self, request, found, s.AccessRequestOutput, ("-created_at", "-id"))


class AccessRequestDetailView(APIView):
    @extend_schema(
        responses={200: s.AccessRequestDetailOutput, 401: PROBLEM, 404: PROBLEM},
        description="One request with its audit trail (`events`) and what the caller may do now (`actions`).",
        tags=TAGS,
    )
    def get(self, request: Request, request_id: int) -> Response:
        return Response(request_body(signed_in_user(request), request_id))


ACTION_RESPONSES = {
    200: s.AccessRequestDetailOutput,
    400: PROBLEM,
    401: PROBLEM,
    403: PROBLEM,
    404: PROBLEM,
    409: PROBLEM,
}


def _action_view(
    name: str,
    permission: str,
    body_class: type[serializers.Serializer] | None,
    run: Callable[..., AccessRequest],
    description: str,
) -> type[APIView]:
    @extend_schema(
        request=body_class,
        responses=ACTION_RESPONSES,
        description=description,
        tags=TAGS,
        operation_id=f"access_requests_{name.replace('-', '_')}",
    )
    def post(self: APIView, request: Request, request_id: int) -> Response:
        user = signed_in_user(request)
        found = access.access_request_get(user=user, request_id=request_id)  # 404 unless the caller sees it
        require(user, permission, found)  # 403 before the body is read
        fields = _body(body_class, request) if body_class is not None else {}
        run(request, user, found, fields)
        return Response(request_body(user, request_id))

    view_name = "AccessRequest" + "".join(part.title() for part in name.split("-")) + "View"
    return type(view_name, (APIView,), {"post": post, "__doc__": description.split(".")[0] + "."})


ACTION_VIEWS: dict[str, type[APIView]] = {
    "approve": _action_view(
        "approve",
        "evidence.decide_access_request",
        s.AccessApproveInput,
        lambda request, user, found, f: access.access_request_approve(
            user=user, access_request=found, expires_in_days=f["expires_in_days"], nda=f["nda"]
        ),
        "pending → approved (an owner of the agent's vendor): access for `expires_in_days` (1–365, default 30). "
        "With an `nda`, access opens only when the buyer accepts it.",
    ),
    "deny": _action_view(
        "deny",
        "evidence.decide_access_request",
        s.AccessDenyInput,
        lambda request, user, found, f: access.access_request_deny(user=user, access_request=found, reason=f["reason"]),
        "pending → denied (an owner of the agent's vendor), with a reason the buyer reads.",
    ),
    "revoke": _action_view(
        "revoke",
        "evidence.decide_access_request",
        None,
        lambda request, user, found, f: access.access_request_revoke(user=user, access_request=found),
        "approved → revoked (an owner of the agent's vendor): the grant ends at once.",
    ),
    "reactivate": _action_view(
        "reactivate",
        "evidence.decide_access_request",
        s.AccessReactivateInput,
        lambda request, user, found, f: access.access_request_reactivate(
            user=user, access_request=found, expires_in_days=f["expires_in_days"]
        ),
        "revoked or expired → approved (an owner of the agent's vendor) for a fresh term.",
    ),
    "accept-nda": _action_view(
        "accept-nda",
        "evidence.accept_nda",
        s.AccessAcceptNdaInput,
        lambda request, user, found, f: access.access_request_accept_nda(
            user=user, access_request=found, address=client_address(request), nda_sha256=f.get("nda_sha256")
        ),
        "The buyer's clickwrap (a member of the buyer organization that asked): records who, when, the client "
        "address and the SHA-256 of the NDA text; access opens now for the approved term.",
    ),
}


def _rule_body(agent: Any, rule: Any) -> dict[str, Any]:
    return s.AccessRuleOutput(
        {
            "agent": agent.slug,
            "engaged_buyers": rule.engaged_buyers if rule else False,
            "email_domains": rule.email_domains if rule else [],
            "expires_in_days": rule.expires_in_days if rule else access.DEFAULT_TERM_DAYS,
            "nda": rule.nda if rule else "",
            "updated_at": rule.updated_at if rule else None,
            "updated_by": rule.updated_by.username if rule else None,
        }
    ).data  # type: ignore[return-value]


class AgentAccessRulesView(APIView):
    @extend_schema(
        responses={200: s.AccessRuleOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        description="The agent's auto-approval rules (members of its vendor).",
        tags=TAGS,
    )
    def get(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = agent_find(user=user, slug=slug)
        return Response(_rule_body(agent, access.access_rule_get(user=user, agent=agent)))

    @extend_schema(
        request=s.AccessRuleInput,
        responses={200: s.AccessRuleOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        description="Replace the agent's auto-approval rules (owners of its vendor): approve requests of buyers "
        "that engage the agent (`engaged_buyers`), or whose members' e-mail domains are all on `email_domains`; "
        "such approvals last `expires_in_days` and wait for `nda` to be accepted when one is set.",
        examples=[
            OpenApiExample(
                "rules",
                value={"engaged_buyers": True, "email_domains": ["northwind.example"], "expires_in_days": 30},
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    def put(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = agent_find(user=user, slug=slug)
        require(user, "evidence.manage_access_rules", agent)  # before the body is read
        fields = _body(s.AccessRuleInput, request)
        rule = access.access_rule_set(user=user, agent=agent, **fields)
        return Response(_rule_body(agent, rule))


class AgentAccessLogView(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        responses={200: s.AccessLogOutput(many=True), 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        description="Who outside the vendor saw which restricted record of the agent, when, and how (`record`: its "
        "page, API, proof or attachment; `bundle`). Members of the agent's vendor.",
        tags=TAGS,
    )
    def get(self, request: Request, slug: str) -> Response:
        user = signed_in_user(request)
        agent = agent_find(user=user, slug=slug)
        entries = access.access_log_list(user=user, agent=agent)
        return paginated_response(self, request, entries, s.AccessLogOutput, ("-at", "-id"))
