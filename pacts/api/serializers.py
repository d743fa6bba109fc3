"""Input and output serializers for agents and pacts. Inputs parse; services decide."""

from __future__ import annotations

import functools
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pacts import hooks
from pacts.models import Agent, ConsequenceLevel, Pact, PactClause, PactVersion
from pacts.plain import describe_clause
from trust_portal.api.params import StrictQueryBooleanField


@extend_schema_field(OpenApiTypes.OBJECT)
class DocumentField(serializers.Field):
    """A pact/v1 document: a JSON object, or JSON/YAML text (validated by the service)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, (dict, str)):
            raise serializers.ValidationError("Expected a pact/v1 object, or its JSON or YAML text.")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class AgentCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, default="")
    slug = serializers.SlugField(max_length=80, required=False, default="")
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    consequence_level = serializers.ChoiceField(choices=ConsequenceLevel.choices, required=False, default="medium")
    capabilities = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=200)
    agent_card = serializers.DictField(
        required=False, help_text="An A2A Agent Card; fills name, description, version, capabilities."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("name") and not attrs.get("agent_card"):
            raise serializers.ValidationError({"name": "Give a name, or an agent_card to take it from."})
        return attrs


class VendorOutput(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()


class CurrentVersionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    content_hash = serializers.CharField()
    effective_from = serializers.DateTimeField()


class ScheduledVersionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    effective_from = serializers.DateTimeField()


class PactSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    review_due_at = serializers.DateTimeField(
        source="review_due", allow_null=True, help_text="When the version in force is due for review."
    )
    stale = serializers.BooleanField(source="is_stale")
    current_version = serializers.SerializerMethodField(help_text="The version in force now.")
    scheduled_version = serializers.SerializerMethodField(
        help_text="A version published to take effect later (the current one stays in force until then)."
    )

    @extend_schema_field(CurrentVersionOutput(allow_null=True))
    def get_current_version(self, pact: Pact) -> dict[str, Any] | None:
        number = getattr(pact, "current_number", None)
        if number is None:
            return None
        return {"number": number, "content_hash": pact.current_hash, "effective_from": pact.current_effective_from}  # type: ignore[attr-defined]

    @extend_schema_field(ScheduledVersionOutput(allow_null=True))
    def get_scheduled_version(self, pact: Pact) -> dict[str, Any] | None:
        number = getattr(pact, "scheduled_number", None)
        if number is None:
            return None
        return {"number": number, "effective_from": pact.scheduled_effective_from}  # type: ignore[attr-defined]


class AgentOutput(serializers.ModelSerializer):
    vendor = VendorOutput(source="organization")
    pacts = PactSummaryOutput(source="visible_pacts", many=True, read_only=True)
    stale = serializers.SerializerMethodField()
    follower_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Agent
        fields = [
            "slug",
            "name",
            "vendor",
            "description",
            "consequence_level",
            "capabilities",
            "version",
            "stale",
            "follower_count",
            "pacts",
            "created_at",
        ]

    def get_stale(self, agent: Agent) -> bool:
        return bool(getattr(agent, "stale_pact_count", 0))


class PactCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, default="")
    document = DocumentField()
    changelog = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PactOutput(PactSummaryOutput):
    agent = serializers.CharField(source="agent.slug")
    created_at = serializers.DateTimeField()
    last_reviewed_at = serializers.DateTimeField(allow_null=True)


class ClauseOutput(serializers.ModelSerializer):
    id = serializers.CharField(source="clause_id")
    plain = serializers.SerializerMethodField(help_text="The clause in plain language.")

    class Meta:
        model = PactClause
        fields = [
            "id",
            "title",
            "metric",
            "metric_kind",
            "unit",
            "aggregation",
            "comparator",
            "threshold",
            "window_days",
            "min_samples",
            "max_evidence_age_days",
            "severity",
            "evidence_kinds",
            "requires_signed_evidence",
            "on_breach",
            "on_stale",
            "prereg_task",
            "prereg_task_version",
            "prereg_dataset_hash",
            "prereg_scorer",
            "plain",
        ]

    def get_plain(self, clause: PactClause) -> str:
        return describe_clause(clause.as_row())


class PactVersionOutput(serializers.ModelSerializer):
    pact = serializers.IntegerField(source="pact_id")
    published_by = serializers.CharField(source="published_by.username", allow_null=True, default=None)
    clauses = ClauseOutput(many=True, read_only=True)

    class Meta:
        model = PactVersion
        fields = [
            "pact",
            "number",
            "status",
            "content_hash",
            "changelog",
            "created_at",
            "updated_at",
            "published_at",
            "published_by",
            "effective_from",
            "review_by",
            "superseded_at",
            "retired_at",
            "document",
            "clauses",
        ]


class PactVersionSummaryOutput(PactVersionOutput):
    class Meta(PactVersionOutput.Meta):
        fields = [f for f in PactVersionOutput.Meta.fields if f not in ("document", "clauses")]


class PactVersionCreateInput(serializers.Serializer):
    document = DocumentField()
    changelog = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PactVersionPatchInput(serializers.Serializer):
    document = DocumentField(required=False)
    changelog = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class PublishInput(serializers.Serializer):
    effective_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    changelog = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ReviewInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FieldChangeOutput(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField()
    new = serializers.JSONField()
    direction = serializers.ChoiceField(choices=["tightened", "loosened", "neutral"])
    reason = serializers.CharField()


class ClauseDiffOutput(serializers.Serializer):
    clause_id = serializers.CharField()
    title = serializers.CharField()
    change = serializers.ChoiceField(choices=["added", "removed", "changed", "unchanged"])
    direction = serializers.ChoiceField(choices=["tightened", "loosened", "neutral"])
    changes = FieldChangeOutput(many=True, source="fields")


class DiffOutput(serializers.Serializer):
    pact = serializers.IntegerField()
    from_version = serializers.IntegerField(source="from")
    to_version = serializers.IntegerField(source="to")
    direction = serializers.CharField()
    clauses = ClauseDiffOutput(many=True)
    document = FieldChangeOutput(many=True)


class DiffQueryInput(serializers.Serializer):
    locals()["from"] = serializers.IntegerField(min_value=1, help_text="The older version number.")
    to = serializers.IntegerField(min_value=1, help_text="The newer version number.")


class AgentListQuery(serializers.Serializer):
    """The directory's filters (query parameters)."""

    q = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=100, help_text="Search name, slug and description"
    )
    vendor = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=100, help_text="Vendor organization slug or name"
    )
    stale = StrictQueryBooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only agents with (true) or without (false) a stale pact (true, false, 1 or 0)",
    )


# The directory's filters and columns, with those later apps add (``pacts.hooks.directory_columns``): one query
# serializer and one output serializer, built once the apps are ready (one class each: the schema names them).
@functools.cache
def _directory_classes(
    providers: tuple[str, ...],
) -> tuple[type[serializers.Serializer], type[AgentOutput], type[AgentOutput]]:
    filters = {f.name: f.field() for p in hooks.directory_columns for f in p.filters}
    query = type(
        "AgentDirectoryQuery", (AgentListQuery,), {"__doc__": AgentListQuery.__doc__, "__module__": __name__, **filters}
    )
    outputs: dict[str, Any] = {}
    for provider in hooks.directory_columns:
        for column in provider.columns:
            outputs.update(column.api())
    meta = type("Meta", (AgentOutput.Meta,), {"fields": [*AgentOutput.Meta.fields, *outputs]})
    output = type("AgentDirectoryOutput", (AgentOutput,), {"__module__": __name__, "Meta": meta, **outputs})
    detail_meta = type("Meta", (meta,), {"fields": [*AgentOutput.Meta.fields, *outputs, "agent_card"]})
    detail = type("AgentDetailOutput", (output,), {"__module__": __name__, "Meta": detail_meta})
    return query, output, detail


def directory_query() -> type[serializers.Serializer]:
    """The directory's query parameters: q, vendor, stale and every provider's filter."""
    return _directory_classes(tuple(p.name for p in hooks.directory_columns))[0]


def directory_output() -> type[AgentOutput]:
    """An agent of the directory: AgentOutput and every provider's columns (tier, score, clause counts, …)."""
    return _directory_classes(tuple(p.name for p in hooks.directory_columns))[1]


def agent_detail_output() -> type[AgentOutput]:
    """One agent (``GET /api/v1/agents/{agent}/``): the directory's fields (tier, score, lower_bound, clause
    counts, freshness, open disputes: ``agent_get`` annotates them as the directory does) and its agent card."""
    return _directory_classes(tuple(p.name for p in hooks.directory_columns))[2]
