"""``GET /api/v1/compare/?agents=a,b[,c,d]``: 2–4 agents side by side (``reputation.compare.compare_agents``),
public data only."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from reputation.compare import MAX_AGENTS, MIN_AGENTS, compare_agents
from reputation.models import Tier
from trust_portal.api.schema import PROBLEM


class CompareVendorOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class CompareClauseOutput(serializers.Serializer):
    metric = serializers.CharField(help_text="The metric the clause measures: rows of a comparison align on it.")
    status = serializers.ChoiceField(choices=["met", "breached", "stale", "insufficient_evidence", "disputed"])
    measured = serializers.FloatField(allow_null=True, help_text="Null when withheld (restricted evidence) or none.")
    threshold = serializers.FloatField()
    comparator = serializers.CharField()
    clause_id = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField()
    percent = serializers.BooleanField(help_text="A rate: shown ×100 as a percentage.")
    severity = serializers.CharField()
    pact = serializers.IntegerField()
    pact_title = serializers.CharField()
    samples = serializers.IntegerField(allow_null=True)
    freshest_at = serializers.DateTimeField(allow_null=True)
    computed_at = serializers.DateTimeField()
    withheld = serializers.BooleanField(help_text="The value rests on restricted evidence: only its status is public.")


class CompareSummaryOutput(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    stale = serializers.IntegerField()
    disputed = serializers.IntegerField()
    insufficient_evidence = serializers.IntegerField()


class CompareAgentOutput(serializers.Serializer):
    agent = serializers.CharField(help_text="The agent's slug.")
    name = serializers.CharField()
    vendor = CompareVendorOutput()
    tier = serializers.ChoiceField(choices=Tier.choices)
    score = serializers.FloatField()
    lower_bound = serializers.FloatField()
    tier_since = serializers.DateTimeField(allow_null=True)
    consequence_level = serializers.CharField()
    clauses = CompareClauseOutput(many=True)
    summary = CompareSummaryOutput()


class CompareOutput(serializers.Serializer):
    agents = CompareAgentOutput(many=True)
    metrics = serializers.ListField(child=serializers.CharField(), help_text="Every metric measured, in order.")
    computed_at = serializers.DateTimeField()


AGENTS = OpenApiParameter(
    "agents",
    str,
    required=True,
    description=f"{MIN_AGENTS} to {MAX_AGENTS} distinct agent slugs separated by commas, e.g. "
    "`refund-bot,code-reviewer` (the parameter may also be repeated). Anything else is a 400 naming `agents`.",
)


class CompareView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        operation_id="compare_agents",
        parameters=[AGENTS],
        responses={200: CompareOutput, 400: PROBLEM},
        tags=["reputation"],
        description="Compare 2–4 agents: tiers, scores with bounds, and their clauses aligned by metric. Public "
        "data only: values resting on restricted evidence are withheld (`withheld`, `measured` null) for every "
        "caller, so the same link answers everyone alike.",
    )
    def get(self, request: Request) -> Response:
        return Response(compare_agents(user=request.user, slugs=request.query_params.getlist("agents")))
