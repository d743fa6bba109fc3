"""Disputes over the API: filing, the workflow's actions, precedent, the arbiter's queue and conflicts.

The same selectors, services and permission checks as the pages: a dispute the caller may not see is a 404, an
action they may not take a 403 (naming who may), a refused transition a 409 naming the current state. Every
query parameter is known or refused (400 naming it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.actions import action_view
from accounts.api.permissions import TokenScopeAllows
from accounts.models import User
from accounts.permissions import require
from accounts.roles import signed_in_user
from accounts.rules import acts_as_staff, is_arbiter
from disputes import conflicts, selectors, workflow
from disputes.api import serializers as s
from disputes.errors import DisputeInvalid
from disputes.filing import dispute_file
from disputes.models import TERMINAL, Dispute
from disputes.rulings import dispute_rule
from pacts.models import Agent
from trust_portal.api.pagination import CursorPagination, paginated_response
from trust_portal.api.params import strict_query
from trust_portal.api.schema import PROBLEM
from trust_portal.errors import Forbidden, NotFound

TAGS = ["disputes"]


def _dispute_of(user: Any, dispute_id: int) -> Dispute:
    """The dispute as the caller may see it (404 otherwise), for an action: no prefetching."""
    found = (
        Dispute.objects.restrict(user, "view")
        .select_related("agent", "claimant", "respondent", "arbiter")
        .filter(pk=dispute_id)
        .first()
    )
    if found is None:
        raise NotFound("No such dispute.")
    return found


def dispute_body(user: Any, dispute_id: int) -> dict[str, Any]:
    dispute = selectors.dispute_get(user=user, dispute_id=dispute_id)
    return s.DisputeOutput(dispute, context={"actions": selectors.actions_for(user, dispute)}).data  # type: ignore[return-value]


FILE_EXAMPLE = {
    "agent": "refund-bot",
    "subject": {"type": "verdict", "id": 991},
    "claim_type": "breach_not_recorded",
    "requested_remedy": "Record the breach and credit us 10 %.",
    "statement": "Our own logs show 40 % of refunds failed on 2026-11-28; the telemetry missed them.",
}


class DisputeListView(APIView):
    pagination_class = CursorPagination  # for the schema: the GET answers through paginated_response

    @extend_schema(
        parameters=[s.DisputeListQuery],
        responses={200: s.DisputeSummaryOutput(many=True), 400: PROBLEM, 401: PROBLEM},
        description="The disputes the caller may see (their organization's, as claimant or respondent; every "
        "dispute of an unconflicted party for arbiters; all for staff), newest first.",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = strict_query(request, s.DisputeListQuery, paginated=True)
        disputes = selectors.dispute_list(
            user=request.user,
            status=filters["status"],
            agent=filters["agent"],
            role=filters["role"],
            open_only=filters["open"] is True,
        )
        if filters["open"] is False:
            disputes = disputes.filter(status__in=TERMINAL)
        return paginated_response(self, request, disputes, s.DisputeSummaryOutput, ("-created_at", "-id"))

    @extend_schema(
        request=s.DisputeFileInput,
        responses={201: s.DisputeOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 409: PROBLEM},
        examples=[OpenApiExample("a breach the telemetry missed", value=FILE_EXAMPLE, request_only=True)],
        description="File a dispute (a member of an engaged buyer organization, or of the agent's vendor): it "
        "awaits the respondent's answer at once. 403 `no_standing` says what standing the claim needs; 409 "
        "`duplicate_dispute` names the caller's organization's open dispute about the same subject.",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        strict_query(request)
        require(user, "disputes.file")  # before the body is read
        data = s.DisputeFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        agent = Agent.objects.restrict(user, "view").filter(slug=body["agent"]).first()
        if agent is None:
            raise DisputeInvalid("agent", f"No agent {body['agent']!r}.", "not_found")
        dispute = dispute_file(
            user=user,
            agent=agent,
            subject={k: v for k, v in body["subject"].items() if v is not None},
            claim_type=body["claim_type"],
            requested_remedy=body["requested_remedy"],
            statement=body["statement"],
            respondent=body["respondent"],
            confidential=body["confidential"],
            attachments=[dict(item) for item in body["attachments"]],
        )
        return Response(dispute_body(user, dispute.pk), status=status.HTTP_201_CREATED)


class DisputeDetailView(APIView):
    @extend_schema(
        responses={200: s.DisputeOutput, 400: PROBLEM, 401: PROBLEM, 404: PROBLEM},
        description="A dispute with its submissions, rulings and audit trail; `actions` lists what the caller "
        "may do now. 404 to anyone who may not see it (not a party, a conflicted arbiter, an agent-scoped token).",
        tags=TAGS,
    )
    def get(self, request: Request, dispute_id: int) -> Response:
        strict_query(request)
        return Response(dispute_body(request.user, dispute_id))


ACTION_RESPONSES = {200: s.DisputeOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}


def _statement_service(service: Callable[..., Any]) -> Callable[..., Any]:
    """A statement action: the attachments as the wire gives them (the service checks them, 400 naming each)."""

    def run(*, user: User, dispute: Dispute, **fields: Any) -> Any:
        fields["attachments"] = [dict(item) for item in fields.get("attachments", [])]
        return service(user=user, dispute=dispute, **fields)

    return run


def _action_view(
    name: str,
    permission: str,
    body_class: type[serializers.Serializer] | None,
    service: Callable[..., Any],
    description: str,
    examples: Iterable[OpenApiExample] = (),
) -> type[APIView]:
    """One action's view (``accounts.api.actions``): 404 unless the caller sees the dispute, 403 unless they may
    act, then the body (400), then the transition (409 naming the state); 200 with the dispute as it now is."""
    return action_view(
        target="dispute",
        name=name,
        permission=permission,
        body_class=body_class,
        service=service,
        description=description,
        find=_dispute_of,
        answer=dispute_body,
        responses=ACTION_RESPONSES,
        tags=TAGS,
        examples=examples,
    )


def _rule(*, user: User, dispute: Dispute, **fields: Any) -> Any:
    fields["consequences"] = [dict(item) for item in fields.get("consequences", [])]
    return dispute_rule(user=user, dispute=dispute, **fields)


RULE_EXAMPLE = {
    "outcome": "upheld",
    "rationale": "The buyer's request logs (submission 1) show failures the telemetry never counted; the vendor "
    "did not contest them. The clause was breached in that window.",
    "consequences": [{"action": "verdict_override", "status": "breached"}, {"action": "service_credit", "percent": 10}],
    "cites": [4],
}

ACTION_VIEWS: dict[str, type[APIView]] = {
    "respond": _action_view(
        "respond",
        "disputes.respond",
        s.DisputeStatementInput,
        _statement_service(workflow.dispute_respond),
        "awaiting_response → under_review: the respondent's one statement (a member of the respondent's "
        "organization); the review deadline starts.",
    ),
    "assign": _action_view(
        "assign",
        "disputes.assign",
        s.DisputeAssignInput,
        workflow.dispute_assign,
        "An arbiter claims a dispute waiting for one (`{}`); staff assign (or reassign) any eligible arbiter "
        '(`{"arbiter": "username"}`). Never an arbiter with a declared conflict with a party, never the first '
        "ruling's arbiter for an appeal (403); 409 when another arbiter has it already.",
    ),
    "request-info": _action_view(
        "request-info",
        "disputes.request_info",
        s.DisputeRequestInfoInput,
        workflow.dispute_request_info,
        "under_review → info_requested: the assigned arbiter asks one party a question; that party may answer once.",
    ),
    "submit-info": _action_view(
        "submit-info",
        "disputes.submit_info",
        s.DisputeStatementInput,
        _statement_service(workflow.dispute_submit_info),
        "info_requested → under_review: the asked party's answer.",
    ),
    "rule": _action_view(
        "rule",
        "disputes.rule",
        s.DisputeRuleInput,
        _rule,
        "under_review → ruled, or appealed → ruled_on_appeal: the assigned arbiter's ruling (immutable; an appeal "
        "ruling supersedes the first), applied at once: score penalty, tier cap, verdict override, credits. The "
        "answer is the dispute, its new ruling last in `rulings`.",
        [OpenApiExample("uphold with a credit", value=RULE_EXAMPLE, request_only=True)],
    ),
    "appeal": _action_view(
        "appeal",
        "disputes.appeal",
        s.DisputeAppealInput,
        _statement_service(workflow.dispute_appeal),
        "ruled → appealed: once, by either party, within the appeal window (409 once it closed); another arbiter "
        "takes it.",
    ),
    "withdraw": _action_view(
        "withdraw",
        "disputes.withdraw",
        s.DisputeWithdrawInput,
        workflow.dispute_withdraw,
        "Before a ruling → withdrawn: the claimant ends its claim.",
    ),
    "settle": _action_view(
        "settle",
        "disputes.settle",
        s.DisputeSettleInput,
        workflow.dispute_settle,
        "Before a ruling: propose terms, or accept the other side's (empty terms, or the very same) → settled. "
        "The standing proposal is in `settlement`.",
    ),
    "close": _action_view(
        "close",
        "disputes.close",
        None,
        workflow.dispute_close,
        "ruled (the appeal window over) or ruled_on_appeal → closed: the ruling is final (the assigned arbiter "
        "or staff; the deadline sweep does it by itself too). 409 while the appeal window is open.",
    ),
}


# --- precedent ---------------------------------------------------------------------------------------------------


class PrecedentView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    pagination_class = CursorPagination

    @extend_schema(
        parameters=[s.PrecedentQuery],
        responses={200: s.PrecedentOutput(many=True), 400: PROBLEM},
        description="Rulings anyone may read (those of closed disputes, and those of the caller's own disputes), "
        "newest first, the rulings an appeal superseded left out. Outsiders read the public form: no statements, "
        "no dispute id, and no rationale when a submission in the dispute was confidential (`redacted`).",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = strict_query(request, s.PrecedentQuery, paginated=True)
        rulings = selectors.precedent_search(user=request.user, **filters)
        user = request.user

        class Public(s.PrecedentOutput):
            def to_representation(self, instance: Any) -> dict[str, Any]:
                return super().to_representation(selectors.ruling_public(instance, user))

        return paginated_response(self, request, rulings, Public, ("-created_at", "-id"))


# --- arbiters ----------------------------------------------------------------------------------------------------


def _arbiter_or_staff(user: Any) -> None:
    if not (is_arbiter(user) or acts_as_staff(user)):
        raise Forbidden("Only arbiters and staff have an arbiter queue and conflicts of interest.")


class ArbiterQueueView(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        parameters=[s.ArbiterQueueQuery],
        responses={200: s.DisputeSummaryOutput(many=True), 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        description="What an arbiter is offered, soonest deadline first: unassigned disputes waiting for an "
        "arbiter, never one of an organization they declared a conflict with, never an appeal of their own "
        "ruling (`mine=true`: the open disputes assigned to them). Staff see every one. 403 for everyone else.",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = strict_query(request, s.ArbiterQueueQuery, paginated=True)
        _arbiter_or_staff(request.user)
        from django.db.models.functions import Coalesce

        queue = selectors.arbiter_queue(user=request.user, **filters).annotate(
            deadline=Coalesce("review_due_by", "due_by", "created_at")
        )
        return paginated_response(self, request, queue, s.DisputeSummaryOutput, ("deadline", "id"))


class ConflictListView(APIView):
    pagination_class = CursorPagination

    @extend_schema(
        responses={200: s.ArbiterConflictOutput(many=True), 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        description="The caller's declared conflicts of interest (staff: every arbiter's).",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        strict_query(request, _NoFilters, paginated=True)
        _arbiter_or_staff(request.user)
        found = conflicts.conflict_list(user=request.user)
        return paginated_response(self, request, found, s.ArbiterConflictOutput, ("-created_at", "-id"))

    @extend_schema(
        request=s.ArbiterConflictInput,
        responses={201: s.ArbiterConflictOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 409: PROBLEM},
        description="Declare a conflict of interest with an organization (an arbiter): its disputes leave the "
        "caller's queue, and an open one assigned to the caller goes back to the queue (recused). 409 when "
        "declared already.",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        strict_query(request)
        require(user, "disputes.declare_conflict")
        data = s.ArbiterConflictInput(data=request.data)
        data.is_valid(raise_exception=True)
        conflict = conflicts.conflict_declare(user=user, **data.validated_data)
        found = conflicts.conflict_get(user=user, conflict_id=conflict.pk)
        return Response(s.ArbiterConflictOutput(found).data, status=status.HTTP_201_CREATED)


class _NoFilters(serializers.Serializer):
    """A list without filters: only the pagination parameters."""


class ConflictDetailView(APIView):
    @extend_schema(
        responses={
            204: OpenApiResponse(description="Removed"),
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
        },
        description="Withdraw a declared conflict (the arbiter who declared it; staff see it but may not).",
        tags=TAGS,
    )
    def delete(self, request: Request, conflict_id: int) -> Response:
        user = signed_in_user(request)
        strict_query(request)
        conflicts.conflict_remove(user=user, conflict=conflicts.conflict_get(user=user, conflict_id=conflict_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
