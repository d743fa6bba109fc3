"""The trust loop over the API: an agent's score, bound, tier and the events that explain them."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from pacts.selectors import agent_find
from reputation.api.caching import cache_headers, etag_of, json_ready, matches, not_modified
from reputation.api.decision import RECEIPT
from reputation.models import ScoreEvent, TierChange
from reputation.receipts import receipt_sign
from reputation.selectors import reputation_of, score_events, tier_changes
from trust_portal.api.params import int_parameter, query_bool, query_int
from trust_portal.api.schema import PROBLEM

SOURCE = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["verdict", "pact", "ruling", "time"]},
        "id": {"type": "integer", "nullable": True},
    },
}


class ScoreEventOutput(serializers.ModelSerializer):
    source = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta:
        model = ScoreEvent
        fields = ["id", "at", "score", "lower_bound", "delta", "reason", "source", "algorithm", "log_size", "inputs"]

    @extend_schema_field(SOURCE)
    def get_source(self, event: ScoreEvent) -> dict[str, object]:
        return {"type": event.source_type, "id": event.source_id}


class TierChangeOutput(serializers.ModelSerializer):
    source = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta:
        model = TierChange
        fields = ["id", "at", "old", "new", "reason", "source", "score", "lower_bound"]

    @extend_schema_field(SOURCE)
    def get_source(self, change: TierChange) -> dict[str, object]:
        return {"type": change.source_type, "id": change.source_id}


class ScoreOutput(serializers.Serializer):
    agent = serializers.CharField()
    score = serializers.FloatField(help_text="0–100: the Beta posterior mean × 100 (docs/reputation.md).")
    lower_bound = serializers.FloatField(help_text="Its 5 % quantile × 100: what tiers use.")
    tier = serializers.CharField()
    tier_reason = serializers.CharField()
    tier_since = serializers.DateTimeField()
    pending_tier = serializers.CharField(
        help_text="A higher tier the evidence supports, not yet sustained long enough."
    )
    pending_since = serializers.DateTimeField(allow_null=True)
    computed_at = serializers.DateTimeField()
    algorithm = serializers.CharField()
    log_size = serializers.IntegerField(help_text="The transparency log's size when the score was computed.")
    events = ScoreEventOutput(many=True, help_text="The newest score events first (each with its inputs).")
    history = TierChangeOutput(many=True, help_text="Tier changes, newest first.")
    receipt = serializers.DictField(required=False, help_text="With ?receipt=1: a DSSE envelope by the log key.")


class AgentScoreView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        parameters=[
            int_parameter("events", description="How many recent events (default 20; a larger value is cut to 200)"),
            RECEIPT,
        ],
        responses={
            200: ScoreOutput,
            304: OpenApiResponse(description="If-None-Match matched: the score is unchanged"),
            400: PROBLEM,
            404: PROBLEM,
        },
        tags=["reputation"],
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        agent = agent_find(user=request.user, slug=slug)
        reputation = reputation_of(user=request.user, agent=agent)
        count = min(query_int(request, "events", default=20), 200)
        with_receipt = query_bool(request, "receipt")
        body = {
            "agent": agent.slug,
            "score": reputation.score,
            "lower_bound": reputation.lower_bound,
            "tier": reputation.tier,
            "tier_reason": reputation.tier_reason,
            "tier_since": reputation.tier_since,
            "pending_tier": reputation.pending_tier,
            "pending_since": reputation.pending_since,
            "computed_at": reputation.computed_at,
            "algorithm": reputation.algorithm,
            "log_size": reputation.log_size,
            "events": score_events(user=request.user, agent=agent)[:count],
            "history": tier_changes(user=request.user, agent=agent)[:50],
        }
        now = timezone.now()
        data: dict[str, Any] = dict(ScoreOutput(body).data)
        etag = etag_of(agent.slug, reputation.computed_at, reputation.score, reputation.tier, count, with_receipt)
        if not with_receipt and matches(request, etag):
            return cache_headers(not_modified(), etag=etag, expires=None, now=now)
        expires = None
        if with_receipt:
            data = json_ready(data)
            data["receipt"], expires = receipt_sign("score", data, now=now)
        return cache_headers(Response(data), etag=etag, expires=expires, now=now)
