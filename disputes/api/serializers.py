"""Input and output of the disputes API, one serializer per operation (DESIGN.md's wire format: keep those names).

Inputs check types and bounds (a 400 naming the field, dotted into nested items: ``subject.id``,
``consequences.0.percent``); the services check the rest (standing, the pact's terms, the state) with the same
field names.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disputes.models import (
    ArbiterConflict,
    ClaimType,
    Dispute,
    Outcome,
    Party,
    Ruling,
    Status,
    SubjectType,
    Submission,
    SubmissionAttachment,
)
from disputes.rulings import ACTIONS as CONSEQUENCE_ACTIONS
from disputes.submissions import MAX_ATTACHMENTS
from disputes.workflow import MAX_STATEMENT
from evidence.attachments import ALLOWED_TYPES
from trust_portal.api.params import StrictQueryBooleanField
from trust_portal.api.schema import JSON_INT_MAX

DISPUTE_ACTIONS = ["respond", "assign", "request-info", "submit-info", "rule", "appeal", "withdraw", "settle", "close"]


class EnumField(serializers.ChoiceField):
    """A choice field documented as one named enum component (``DisputeStatusEnum``…): the wire names
    ``status``, ``stage`` and ``party`` are shared with other apps' choice sets, which drf-spectacular could only
    name by a hash otherwise."""

    def __init__(self, choices: Any, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        field: EnumField = self.target
        values = [value for value in field.choices if value not in ("", None)]
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={"type": "string", "enum": values},
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank or field.allow_null:
            options: list[Any] = [component.ref]
            if field.allow_blank:
                options.append({"type": "string", "enum": [""]})
            schema: dict[str, Any] = {"oneOf": options}
            if field.allow_null:
                schema["nullable"] = True
            return schema
        return component.ref


def status_field(**kwargs: Any) -> EnumField:
    return EnumField(Status.choices, enum_name="DisputeStatusEnum", **kwargs)


def party_field(**kwargs: Any) -> EnumField:
    return EnumField(Party.choices, enum_name="DisputePartyEnum", **kwargs)


# --- inputs ------------------------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": JSON_INT_MAX},
            {"type": "string", "minLength": 1, "maxLength": 63},
        ],
        "description": "The verdict's, evidence record's or ledger entry's id; for a clause, its clause id.",
    }
)
class SubjectIdField(serializers.Field):
    default_error_messages = {"invalid": "Expected an id (a whole number) or a clause id (text)."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if not 0 < data <= JSON_INT_MAX:
                self.fail("invalid")
            return data
        if isinstance(data, str) and 0 < len(data) <= 63:
            return data
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


class DisputeSubjectInput(serializers.Serializer):
    type = EnumField(SubjectType.choices, enum_name="DisputeSubjectTypeEnum")
    id = SubjectIdField()
    pact = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="A clause's pact, when several pacts name the clause."
    )


class DisputeAttachmentInput(serializers.Serializer):
    filename = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    content_type = serializers.ChoiceField(
        choices=list(ALLOWED_TYPES), help_text="Checked against the bytes themselves (a mismatch is a 400)."
    )
    data_base64 = serializers.CharField(
        help_text=f"The file, base64-encoded: at most {settings.EVIDENCE_ATTACHMENT_MAX_BYTES:,} bytes decoded."
    )


def _attachments() -> serializers.ListField:
    return serializers.ListField(
        child=DisputeAttachmentInput(),
        max_length=MAX_ATTACHMENTS,
        required=False,
        default=list,
        help_text=f"At most {MAX_ATTACHMENTS} files; each is stored by its SHA-256 and committed to by the "
        "submission's transparency-log leaf.",
    )


class StrictBooleanField(serializers.BooleanField):
    """true or false, as the schema says (DRF also reads "yes", "on", "1"… as booleans)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def _confidential() -> serializers.BooleanField:
    return StrictBooleanField(
        required=False,
        default=False,
        help_text="Never shown in the public (precedent) form of the ruling: outsiders then read no rationale.",
    )


class DisputeFileInput(serializers.Serializer):
    agent = serializers.SlugField(max_length=80, help_text="The agent's slug.")
    subject = DisputeSubjectInput(help_text="What the dispute is about.")
    claim_type = serializers.ChoiceField(
        choices=ClaimType.choices,
        help_text="Which claims a side may make about which subject: docs/disputes.md (a 400 names the allowed ones).",
    )
    requested_remedy = serializers.CharField(max_length=2000)
    statement = serializers.CharField(max_length=MAX_STATEMENT)
    respondent = serializers.SlugField(
        max_length=80,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="A vendor's claim: the buyer organization (slug) that answers it, when several engage the agent.",
    )
    confidential = _confidential()
    attachments = _attachments()


class DisputeStatementInput(serializers.Serializer):
    statement = serializers.CharField(max_length=MAX_STATEMENT)
    confidential = _confidential()
    attachments = _attachments()


class DisputeAppealInput(DisputeStatementInput):
    statement = serializers.CharField(
        max_length=MAX_STATEMENT, help_text="What is new: at least 30 characters (the ruling's grounds, new facts)."
    )


class DisputeAssignInput(serializers.Serializer):
    arbiter = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Staff only: the arbiter's username. Absent, an arbiter claims the dispute for themselves.",
    )


class DisputeRequestInfoInput(serializers.Serializer):
    party = party_field(help_text="Who is asked; they may answer once.")
    question = serializers.CharField(max_length=5000)


class RulingConsequenceInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(CONSEQUENCE_ACTIONS))
    status = EnumField(
        [("breached", "breached"), ("met", "met")],
        enum_name="VerdictOverrideStatusEnum",
        required=False,
        help_text="verdict_override: the status it sets.",
    )
    days = serializers.IntegerField(
        min_value=1, max_value=90, required=False, help_text="verdict_override and tier: how long (default 30)."
    )
    percent = serializers.FloatField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="service_credit: more than 0 and at most the clause's own service credit.",
    )
    entry = serializers.IntegerField(
        min_value=1, required=False, help_text="cancel_credit: a pending or owed ledger entry owed to the buyer party."
    )
    tier = serializers.ChoiceField(
        choices=["probation", "suspended"],
        required=False,
        help_text="tier: probation (a critical or major clause, or a pact that says downgrade); suspended (critical).",
    )


class DisputeRuleInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    rationale = serializers.CharField(max_length=MAX_STATEMENT, help_text="Required: at least 100 characters.")
    consequences = serializers.ListField(
        child=RulingConsequenceInput(),
        max_length=10,
        required=False,
        default=list,
        help_text="What the ruling applies (none when rejected), checked against the pact's terms.",
    )
    cites = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=20,
        required=False,
        default=list,
        help_text="Earlier rulings (ids) this one relies on: precedent.",
    )


class DisputeWithdrawInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class DisputeSettleInput(serializers.Serializer):
    terms = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="New terms propose (or counter) a settlement; empty, or the other side's very terms, accept theirs.",
    )


class ArbiterConflictInput(serializers.Serializer):
    organization = serializers.SlugField(max_length=80, help_text="The organization's slug.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# --- query parameters --------------------------------------------------------------------------------------------


class DisputeListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False, default="", allow_blank=True)
    agent = serializers.SlugField(required=False, default="", allow_blank=True, max_length=80)
    role = serializers.ChoiceField(
        choices=Party.choices,
        required=False,
        default="",
        allow_blank=True,
        help_text="The caller's organization's side (none for arbiters and staff, who then see no dispute).",
    )
    open = StrictQueryBooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: open disputes only; false: closed, withdrawn or settled only.",
    )


class ArbiterQueueQuery(serializers.Serializer):
    mine = StrictQueryBooleanField(
        required=False, default=False, help_text="true: the open disputes assigned to the caller instead."
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False, default="", allow_blank=True)
    agent = serializers.SlugField(required=False, default="", allow_blank=True, max_length=80)
    overdue = StrictQueryBooleanField(
        required=False, default=False, help_text="true: only those past a deadline (the step's or the review's)."
    )


class PrecedentQuery(serializers.Serializer):
    q = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=200, help_text="Words of the rationale."
    )
    clause_id = serializers.CharField(required=False, default="", allow_blank=True, max_length=63)
    metric = serializers.CharField(required=False, default="", allow_blank=True, max_length=63)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, default="", allow_blank=True)
    agent = serializers.SlugField(required=False, default="", allow_blank=True, max_length=80)


# --- outputs -----------------------------------------------------------------------------------------------------


def subject_of(dispute: Dispute) -> dict[str, Any]:
    kind, _, rest = dispute.subject_key.partition(":")
    if kind == SubjectType.CLAUSE:
        pact, _, clause_id = rest.partition(":")
        return {"type": kind, "id": clause_id, "pact": int(pact)}
    return {"type": kind, "id": int(rest), "pact": dispute.pact_id}


class DisputeSubjectOutput(serializers.Serializer):
    type = EnumField(SubjectType.choices, enum_name="DisputeSubjectTypeEnum")
    id = SubjectIdField()
    pact = serializers.IntegerField(allow_null=True, help_text="The pact whose clause the dispute concerns, if any.")


class DisputeAttachmentOutput(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="attachment.sha256")
    size = serializers.IntegerField(source="attachment.size", help_text="Bytes.")
    content_type = serializers.CharField(source="attachment.content_type")
    url = serializers.SerializerMethodField()

    class Meta:
        model = SubmissionAttachment
        fields = ["id", "filename", "sha256", "size", "content_type", "url"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, item: SubmissionAttachment) -> str:
        """The download (the parties, the arbiters and staff who may see the dispute)."""
        try:
            return reverse("disputes:attachment", args=[item.submission.dispute_id, item.pk])
        except NoReverseMatch:  # pragma: no cover - the page route is part of the app
            return ""


class DisputeSubmissionOutput(serializers.ModelSerializer):
    party = party_field()
    stage = EnumField(Submission.Stage.choices, enum_name="SubmissionStageEnum")
    author = serializers.CharField(source="author.username")
    attachments = DisputeAttachmentOutput(many=True)

    class Meta:
        model = Submission
        fields = [
            "id",
            "party",
            "stage",
            "round",
            "author",
            "statement",
            "confidential",
            "attachments",
            "leaf_index",
            "canonical_hash",
            "created_at",
        ]
        extra_kwargs = {
            "leaf_index": {"help_text": "Its leaf in the transparency log (GET /api/v1/log/)."},
            "canonical_hash": {"help_text": "SHA-256 of the canonical JSON the leaf commits to."},
        }


class DisputeRulingOutput(serializers.ModelSerializer):
    stage = EnumField(Ruling.Stage.choices, enum_name="RulingStageEnum")
    arbiter = serializers.CharField(source="arbiter.username")
    consequences = serializers.ListField(child=serializers.DictField(), help_text="What it applied.")
    cites = serializers.SerializerMethodField()
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True)

    class Meta:
        model = Ruling
        fields = ["id", "stage", "outcome", "rationale", "consequences", "cites", "arbiter", "supersedes", "created_at"]

    def get_cites(self, ruling: Ruling) -> list[int]:
        return [cited.pk for cited in ruling.cites.all()]


DisputeEventOutput = type(
    "DisputeEventOutput",
    (serializers.Serializer,),
    {
        "__doc__": "One action on the dispute: who, when, from which state to which, and why.",
        "__module__": __name__,
        "at": serializers.DateTimeField(),
        "actor": serializers.CharField(
            source="actor.username", allow_null=True, help_text="null: the system (a deadline)."
        ),
        "action": serializers.CharField(),
        "from": serializers.CharField(source="from_status", help_text="Empty for the filing itself."),
        "to": serializers.CharField(source="to_status"),
        "note": serializers.CharField(),
    },
)


class DisputeSettlementOutput(serializers.Serializer):
    terms = serializers.CharField()
    proposed_by = party_field()
    proposed_at = serializers.DateTimeField()


class DisputeSummaryOutput(serializers.ModelSerializer):
    status = status_field()
    agent = serializers.CharField(source="agent.slug")
    claimant = serializers.CharField(source="claimant.slug")
    respondent = serializers.CharField(source="respondent.slug")
    arbiter = serializers.CharField(source="arbiter.username", allow_null=True, default=None)
    subject = serializers.SerializerMethodField()
    past_due = serializers.BooleanField(help_text="A deadline of the current step passed.")

    class Meta:
        model = Dispute
        fields = [
            "id",
            "status",
            "agent",
            "claimant",
            "respondent",
            "subject",
            "clause_id",
            "metric",
            "claim_type",
            "respondent_defaulted",
            "due_by",
            "review_due_by",
            "past_due",
            "arbiter",
            "created_at",
            "updated_at",
            "closed_at",
        ]
        extra_kwargs = {
            "due_by": {"help_text": "The deadline of the current step (response, answer, review, appeal window)."},
            "review_due_by": {"help_text": "The arbiter's deadline."},
        }

    @extend_schema_field(DisputeSubjectOutput)
    def get_subject(self, dispute: Dispute) -> dict[str, Any]:
        return subject_of(dispute)


class DisputeOutput(DisputeSummaryOutput):
    """A dispute whole: its submissions, rulings and audit trail, and what the caller may do now."""

    submissions = DisputeSubmissionOutput(many=True)
    rulings = serializers.SerializerMethodField()
    events = DisputeEventOutput(many=True)  # type: ignore[operator]
    settlement = serializers.SerializerMethodField()
    info_request = serializers.SerializerMethodField()
    submission_count = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    pact_version = serializers.IntegerField(source="pact_version.number", help_text="The version whose terms apply.")
    appealed_by = party_field(allow_blank=True, help_text="Empty until a party appeals.")

    class Meta(DisputeSummaryOutput.Meta):
        fields = [
            *DisputeSummaryOutput.Meta.fields,
            "requested_remedy",
            "pact_version",
            "response_days",
            "review_days",
            "appeal_days",
            "appealed_by",
            "info_request",
            "settlement",
            "submission_count",
            "submissions",
            "rulings",
            "events",
            "actions",
        ]

    @extend_schema_field(DisputeRulingOutput(many=True))
    def get_rulings(self, dispute: Dispute) -> list[Any]:
        ordered = sorted(dispute.rulings.all(), key=lambda r: (r.created_at, r.pk))  # the first, then the appeal's
        return DisputeRulingOutput(ordered, many=True).data  # type: ignore[return-value]

    @extend_schema_field(DisputeSettlementOutput(allow_null=True))
    def get_settlement(self, dispute: Dispute) -> dict[str, Any] | None:
        if not dispute.settlement_proposed_by:
            return None
        return DisputeSettlementOutput(
            {
                "terms": dispute.settlement_terms,
                "proposed_by": dispute.settlement_proposed_by,
                "proposed_at": dispute.settlement_proposed_at,
            }
        ).data  # type: ignore[return-value]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "description": "While information is requested: who is asked, and what.",
            "properties": {
                "party": {"$ref": "#/components/schemas/DisputePartyEnum"},
                "question": {"type": "string"},
            },
        }
    )
    def get_info_request(self, dispute: Dispute) -> dict[str, Any] | None:
        if dispute.status != Status.INFO_REQUESTED or not dispute.info_party:
            return None
        return {"party": dispute.info_party, "question": dispute.info_question}

    def get_submission_count(self, dispute: Dispute) -> int:
        return len(dispute.submissions.all())

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=DISPUTE_ACTIONS)))
    def get_actions(self, dispute: Dispute) -> list[str]:
        """What the caller may do now: POST /api/v1/disputes/{id}/{action}/ for each."""
        return list(self.context.get("actions", []))


class PrecedentOutput(serializers.Serializer):
    """A ruling as anyone may read it: no statements; the rationale withheld from outsiders when a submission in
    its dispute was confidential (``redacted``); the dispute's id only for those who may see the dispute."""

    id = serializers.IntegerField()
    dispute = serializers.IntegerField(allow_null=True)
    agent = serializers.CharField()
    clause_id = serializers.CharField(allow_null=True)
    metric = serializers.CharField(allow_null=True)
    stage = EnumField(Ruling.Stage.choices, enum_name="RulingStageEnum")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    rationale = serializers.CharField(allow_null=True)
    redacted = serializers.BooleanField()
    consequences = serializers.ListField(child=serializers.DictField())
    cites = serializers.ListField(child=serializers.IntegerField())
    arbiter = serializers.CharField()
    created_at = serializers.DateTimeField()


class ArbiterConflictOutput(serializers.ModelSerializer):
    arbiter = serializers.CharField(source="arbiter.username")
    organization = serializers.CharField(source="organization.slug")
    organization_name = serializers.CharField(source="organization.name")

    class Meta:
        model = ArbiterConflict
        fields = ["id", "arbiter", "organization", "organization_name", "note", "created_at"]
