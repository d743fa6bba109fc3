"""Verdicts over the API: the current status of every clause, or the series."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from pacts.selectors import agent_find
from trust_portal.api.pagination import CursorPagination
from trust_portal.api.params import bool_parameter, int_parameter, query_bool, query_int_or_none
from trust_portal.api.schema import PROBLEM
from verdicts import selectors
from verdicts.models import Verdict


class VerdictOutput(serializers.ModelSerializer):
    pact = serializers.IntegerField(source="pact_id")
    pact_version = serializers.IntegerField(source="pact_version.number")
    computed_status = serializers.CharField(source="status", help_text="From the evidence alone.")
    status = serializers.CharField(
        source="shown_status", help_text="disputed when an open dispute covers the clause, else computed_status."
    )
    refusals = serializers.ListField(child=serializers.ListField(), help_text="[[reason, records], …]")
    samples = serializers.IntegerField(
        allow_null=True, help_text="null when withheld (the verdict rests on evidence you may not see)."
    )
    used_records = serializers.IntegerField(allow_null=True, help_text="null when withheld.")
    refused_records = serializers.IntegerField(allow_null=True, help_text="null when withheld.")
    rests_on_restricted = serializers.BooleanField(
        help_text="Restricted evidence lay in the clause's window when the verdict was computed."
    )
    withheld = serializers.SerializerMethodField(
        help_text="True when you may not see that restricted evidence: measured, samples, used_records, "
        "refused_records, refusals and freshest_at are then withheld (null or empty); the status stands."
    )

    class Meta:
        model = Verdict
        fields = [
            "id",
            "pact",
            "pact_version",
            "clause_id",
            "status",
            "computed_status",
            "disputed",
            "measured",
            "comparator",
            "threshold",
            "samples",
            "min_samples",
            "window_start",
            "window_end",
            "freshest_at",
            "used_records",
            "refused_records",
            "refusals",
            "note",
            "rests_on_restricted",
            "withheld",
            "computed_at",
            "is_current",
        ]

    def get_withheld(self, verdict: Verdict) -> bool:
        return bool(getattr(verdict, "withheld", False))


class VerdictBoardOutput(serializers.Serializer):
    """Without history: the current verdict of every clause."""

    agent = serializers.CharField()
    results = VerdictOutput(many=True)


class VerdictHistoryPage(serializers.Serializer):
    """With history=1: one cursor page of the series, newest first."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = VerdictOutput(many=True)


VERDICTS_OUTPUT = PolymorphicProxySerializer(
    component_name="AgentVerdicts",
    serializers=[VerdictBoardOutput, VerdictHistoryPage],
    resource_type_field_name=None,
)


class AgentVerdictsView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        parameters=[
            bool_parameter("history", description="1: the series of every verdict (newest first, cursor-paginated)"),
            OpenApiParameter("clause", str, description="With history: one clause id"),
            int_parameter("pact", description="With history: one pact"),
            OpenApiParameter("cursor", str, description="With history: the page a previous page's next/previous names"),
            int_parameter("page_size", minimum=1, description="With history: items per page (cut to the cap)"),
        ],
        responses={200: VERDICTS_OUTPUT, 404: PROBLEM},
        tags=["verdicts"],
    )
    def get(self, request: Request, slug: str) -> Response:
        agent = agent_find(user=request.user, slug=slug)
        if query_bool(request, "history"):
            history = selectors.verdict_history(
                agent=agent,
                pact_id=query_int_or_none(request, "pact"),
                clause_id=request.query_params.get("clause", "")[:63],
            ).select_related("pact_version")
            paginator = CursorPagination()
            paginator.ordering = ("-computed_at", "-id")  # type: ignore[assignment]
            page: Any = paginator.paginate_queryset(history, request, view=self)
            page = selectors.shown(page, user=request.user, agent=agent)
            return paginator.get_paginated_response(VerdictOutput(page, many=True).data)
        for name, minimum in (("pact", 0), ("page_size", 1)):  # history's parameters, held to their schema anyway
            query_int_or_none(request, name, minimum=minimum)
        board = selectors.verdict_board(agent=agent, user=request.user)
        return Response(
            {"agent": agent.slug, "results": VerdictOutput([item.verdict for item in board], many=True).data}
        )
