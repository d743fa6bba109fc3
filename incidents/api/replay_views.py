"""Trust after degradation and replays over the API (DESIGN.md's wire formats, fields added).

``GET /api/v1/agents/{agent}/trust-after-degradation/`` → ``{"total_seconds", "intervals": [{"from", "to", "held",
"clause", "policy", …}], …}`` (``incidents.view_degradation``); ``POST /api/v1/agents/{agent}/replay/``
``{"pact_version": 4}`` or ``{"policy": 3}`` (``"pact"`` when the agent has several) → ``202 {"id", "status",
"progress"}``; ``GET /api/v1/replays/{id}/`` → ``{"status": "running" | "done" | "failed", "progress",
"timeline": […], "differences": [{"at", "actual", "replayed", "what"}], …}`` (its requester and staff).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenScopeAllows
from incidents import degradation, replays
from incidents.models import Replay
from pacts.selectors import agent_find
from trust_portal.api.params import strict_query
from trust_portal.api.schema import PROBLEM
from trust_portal.errors import InvalidQuery

TAGS = ["incidents"]
SIGNED_IN = [IsAuthenticated, TokenScopeAllows]


class DegradationIntervalOutput(serializers.Serializer):
    from_ = serializers.DateTimeField()
    to = serializers.DateTimeField()
    held = serializers.CharField(help_text="The tier held (above probation) or `allow` (a logged decision).")
    clause = serializers.CharField(help_text="The critical clause that was breached or stale.")
    policy = serializers.IntegerField(allow_null=True, help_text="The policy whose decision allowed; null for a tier.")
    policy_name = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="breached or stale")
    seconds = serializers.FloatField()
    reason = serializers.CharField()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class CriticalFailureOutput(serializers.Serializer):
    from_ = serializers.DateTimeField()
    to = serializers.DateTimeField(allow_null=True)
    clause = serializers.CharField()
    status = serializers.CharField()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class DegradationOutput(serializers.Serializer):
    agent = serializers.CharField()
    computed_at = serializers.DateTimeField()
    total_seconds = serializers.FloatField(help_text="Time covered by any interval (overlaps counted once).")
    tier_seconds = serializers.FloatField(help_text="Of it, time the system's own tiers trusted: 0 by design.")
    critical_failures = CriticalFailureOutput(many=True)
    intervals = DegradationIntervalOutput(many=True)


class ReplayInput(serializers.Serializer):
    pact_version = serializers.IntegerField(required=False, min_value=1, help_text="A version number of the pact.")
    pact = serializers.IntegerField(required=False, min_value=1, help_text="The pact, when the agent has several.")
    policy = serializers.IntegerField(required=False, min_value=1, help_text="An access policy you may see.")
    knowledge = serializers.ChoiceField(
        choices=["received", "observed"],
        required=False,
        help_text="What counts as known at a moment: records received by then (default), or every record observed "
        "by then (chosen automatically for a history evaluated after the fact).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields) if isinstance(self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError({name: "Unknown field." for name in sorted(unknown)})
        if ("pact_version" in attrs) == ("policy" in attrs):
            raise serializers.ValidationError({"pact_version": "Give either pact_version or policy."})
        return attrs


class ReplayDifferenceOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="verdict, tier or decision")
    clause = serializers.CharField(allow_null=True)
    actual = serializers.CharField(allow_null=True)
    replayed = serializers.CharField(allow_null=True)
    what = serializers.CharField(
        help_text='In words: "would have been downgraded to suspended on 3 Oct 2026, 12 days earlier".'
    )


class ReplayEventOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    clause = serializers.CharField(allow_null=True)
    value = serializers.CharField(help_text="A status, a tier, or allow / deny.")


class ReplayOutput(serializers.Serializer):
    id = serializers.IntegerField()
    agent = serializers.CharField()
    status = serializers.CharField(help_text="running, done or failed (a job still queued is running at 0 %)")
    state = serializers.CharField(help_text="queued, running, done or failed")
    progress = serializers.FloatField()
    params = serializers.DictField()
    timeline = ReplayEventOutput(many=True, help_text="The replayed timeline (statuses, tiers, decisions).")
    actual_timeline = ReplayEventOutput(many=True, help_text="What happened, in the same shape.")
    differences = ReplayDifferenceOutput(many=True)
    moments = serializers.IntegerField(allow_null=True)
    knowledge = serializers.CharField(allow_null=True)
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


def _when(value: Any) -> Any:
    return serializers.DateTimeField().to_representation(value) if value else None


def replay_body(job: Replay) -> dict[str, Any]:
    timeline = job.timeline or {}
    return {
        "id": job.pk,
        "agent": job.agent.slug,
        # The contract knows running, done and failed: a job waiting for a worker is running at 0 %.
        "status": Replay.Status.RUNNING if job.status == Replay.Status.QUEUED else job.status,
        "state": job.status,
        "progress": job.progress,
        "params": {k: v for k, v in job.params.items() if k != "pact_version_id"},
        "timeline": timeline.get("replayed", []),
        "actual_timeline": timeline.get("actual", []),
        "differences": job.differences or [],
        "moments": timeline.get("moments"),
        "knowledge": timeline.get("knowledge"),
        "error": job.error,
        "created_at": _when(job.created_at),
        "finished_at": _when(job.finished_at),
    }


class DegradationView(APIView):
    permission_classes = SIGNED_IN

    @extend_schema(
        responses={200: DegradationOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        description="Every interval in which the agent kept a tier above probation, or a logged access decision "
        "allowed it, while a critical clause was breached or stale. The system's own tiers show 0 s; a buyer "
        "policy that allowed shows its time, named. Readers: the agent's vendor, buyers engaging it (their own "
        "organization's decisions), staff.",
        tags=TAGS,
    )
    def get(self, request: Request, slug: str) -> Response:
        strict_query(request)
        agent = agent_find(user=request.user, slug=slug)
        return Response(degradation.report(user=request.user, agent=agent))


class ReplayCreateView(APIView):
    permission_classes = SIGNED_IN

    @extend_schema(
        request=ReplayInput,
        responses={202: ReplayOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        examples=[
            OpenApiExample("A draft version", value={"pact_version": 4}, request_only=True),
            OpenApiExample("A stricter policy", value={"policy": 3}, request_only=True),
        ],
        description="Replay the agent's history under a version of its pact (a draft: its vendor's members) or "
        "under an access policy you may see: a background job (eager in the embedded default) re-running "
        "evaluation, scoring, tiering and decisions with the portal's pure functions. Poll GET /api/v1/replays/{id}/.",
        tags=TAGS,
    )
    def post(self, request: Request, slug: str) -> Response:
        strict_query(request)
        agent = agent_find(user=request.user, slug=slug)
        from accounts.permissions import require

        require(request.user, "incidents.replay", agent)
        if not isinstance(request.data, dict):
            raise InvalidQuery("Send a JSON object.", field="body")
        body = ReplayInput(data=request.data)
        body.is_valid(raise_exception=True)
        job = replays.replay_request(user=request.user, agent=agent, **body.validated_data)
        job.refresh_from_db()
        return Response(replay_body(job), status=status.HTTP_202_ACCEPTED)


class ReplayDetailView(APIView):
    permission_classes = SIGNED_IN

    @extend_schema(
        responses={200: ReplayOutput, 400: PROBLEM, 401: PROBLEM, 404: PROBLEM},
        description="A replay: status and progress, the replayed and the actual timelines, the differences in words.",
        tags=TAGS,
    )
    def get(self, request: Request, replay_id: int) -> Response:
        strict_query(request)
        return Response(replay_body(replays.replay_get(user=request.user, replay_id=replay_id)))
