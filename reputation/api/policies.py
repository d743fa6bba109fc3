"""Access policies and their decision logs over the API (DESIGN.md's wire formats: keep the names).

The decision itself, ``GET /api/v1/agents/{agent}/decision/?policy=ID``, is in ``reputation.api.decision``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from reputation import policies
from reputation.models import AccessPolicy, Decision, PolicyRevision
from trust_portal.api.pagination import CursorPagination, paginated_response
from trust_portal.api.params import bool_parameter, query_bool
from trust_portal.api.schema import PROBLEM
from trust_portal.errors import NotFound
from trustcore.score import TIERS

TIER_CHOICES = list(TIERS)
LEVELS = ["low", "medium", "high", "critical"]


class PolicyInput(serializers.Serializer):
    """For the schema: the service (``reputation.policies.clean_rules``) checks the body field by field."""

    name = serializers.CharField(max_length=120)
    min_tier = serializers.ChoiceField(choices=TIER_CHOICES, required=False, allow_null=True)
    min_lower_bound = serializers.FloatField(min_value=0, max_value=100, required=False, allow_null=True)
    max_open_disputes = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    required_clauses = serializers.ListField(
        child=serializers.CharField(max_length=63),
        required=False,
        allow_null=True,
        max_length=50,
        help_text="null or absent: no condition on clauses (on PATCH, null removes it).",
    )
    max_evidence_age_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True)
    consequence_levels = serializers.ListField(
        child=serializers.ChoiceField(choices=LEVELS),
        required=False,
        allow_null=True,
        min_length=1,
        help_text="null or absent: no condition on the agent's consequence level.",
    )
    critical_grace_hours = serializers.IntegerField(
        min_value=0,
        max_value=168,
        required=False,
        allow_null=True,
        help_text="A suspended agent (a critical clause breached or stale) is denied under every policy; this many "
        "hours after the suspension it still is allowed (the trust-after-degradation report names such policies).",
    )


class PolicyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    organization = serializers.CharField(source="organization.slug")
    revision = serializers.IntegerField(help_text="The revision in force; decisions name the one they applied.")
    rules = serializers.DictField(help_text="The conditions of that revision (the fields of the request).")
    created_at = serializers.DateTimeField()
    archived_at = serializers.DateTimeField(allow_null=True)


class DecisionOutput(serializers.ModelSerializer):
    policy = serializers.IntegerField(source="policy_id")
    revision = serializers.IntegerField(source="revision.number")
    agent = serializers.CharField(source="agent.slug")
    decision = serializers.CharField(source="result")

    class Meta:
        model = Decision
        fields = ["decision_id", "policy", "revision", "agent", "decision", "conditions", "reasons", "input", "at"]


def _body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise policies.InvalidPolicy("Expected a JSON object.", field="name")
    return data


def _policy_output(policy: AccessPolicy) -> dict[str, Any]:
    revision = PolicyRevision.objects.get(policy=policy, number=policy.revision)
    policy.rules = revision.rules  # type: ignore[attr-defined]
    return PolicyOutput(policy).data  # type: ignore[return-value]


def _policy_get(request: Request, policy_id: int) -> AccessPolicy:
    policy = AccessPolicy.objects.restrict(request.user, "view").select_related("organization").filter(pk=policy_id)
    found = policy.first()
    if found is None:
        raise NotFound(f"No policy {policy_id}.")
    return found


class PolicyListView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]
    pagination_class = CursorPagination

    @extend_schema(
        parameters=[bool_parameter("archived", description="1: archived policies too")],
        responses={200: PolicyOutput(many=True)},
        tags=["reputation"],
    )
    def get(self, request: Request) -> Response:
        found = AccessPolicy.objects.restrict(request.user, "view").select_related("organization")
        if not query_bool(request, "archived"):
            found = found.filter(archived_at__isnull=True)
        return paginated_response(self, request, found.prefetch_related("revisions"), _PolicyListItem, ("-id",))

    @extend_schema(
        request=PolicyInput,
        responses={201: PolicyOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        tags=["reputation"],
    )
    def post(self, request: Request) -> Response:
        body = _body(request.data)
        organization = getattr(request.user, "organization", None)
        policy = policies.policy_create(
            user=request.user,  # type: ignore[arg-type]
            organization=organization,
            name=body.get("name"),
            rules={k: v for k, v in body.items() if k != "name"},
        )
        return Response(_policy_output(policy), status=201)


class _PolicyListItem(PolicyOutput):
    def to_representation(self, instance: AccessPolicy) -> dict[str, Any]:
        revision = next((r for r in instance.revisions.all() if r.number == instance.revision), None)
        instance.rules = revision.rules if revision else {}  # type: ignore[attr-defined]
        return super().to_representation(instance)


class PolicyDetailView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]

    @extend_schema(responses={200: PolicyOutput, 404: PROBLEM}, tags=["reputation"])
    def get(self, request: Request, policy_id: int) -> Response:
        return Response(_policy_output(_policy_get(request, policy_id)))

    @extend_schema(
        request=PolicyInput,
        responses={200: PolicyOutput, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        tags=["reputation"],
        description="Change the name and/or conditions. The conditions given change only themselves (null removes "
        "one); a change writes the next revision, and decisions already logged keep naming the revision they applied.",
    )
    def patch(self, request: Request, policy_id: int) -> Response:
        body = _body(request.data)
        if "name" in body and not isinstance(body["name"], str):  # a name is kept by leaving it out, not by null
            raise policies.InvalidPolicy("name must be text; leave it out to keep the name.", field="name")
        rules = {k: v for k, v in body.items() if k != "name"}
        policy = policies.policy_update(
            user=request.user,  # type: ignore[arg-type]
            policy=_policy_get(request, policy_id),
            name=body.get("name"),
            rules=rules or None,
            merge=True,
        )
        return Response(_policy_output(policy))

    @extend_schema(responses={200: PolicyOutput, 403: PROBLEM, 404: PROBLEM}, tags=["reputation"])
    def delete(self, request: Request, policy_id: int) -> Response:
        """Archive: no further decisions; the policy and its log stay for audit."""
        policy = policies.policy_archive(user=request.user, policy=_policy_get(request, policy_id))  # type: ignore[arg-type]
        return Response(_policy_output(policy))


class PolicyDecisionsView(APIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]
    pagination_class = CursorPagination

    @extend_schema(responses={200: DecisionOutput(many=True), 404: PROBLEM}, tags=["reputation"])
    def get(self, request: Request, policy_id: int) -> Response:
        policy = _policy_get(request, policy_id)
        log = Decision.objects.restrict(request.user, "view").filter(policy=policy).select_related("revision", "agent")
        return paginated_response(self, request, log, DecisionOutput, ("-at", "-id"))
