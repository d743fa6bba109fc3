"""Input and output of the incidents API, one serializer per operation (DESIGN.md's wire format: keep those names).

Inputs check types and bounds (a 400 naming the field, dotted into nested items: ``remediations.0.due_on``); the
services check the rest (the agent's clauses, the linked versions, who may, the state) with the same names.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from incidents.models import (
    ChangeKind,
    Incident,
    OriginType,
    Remediation,
    Severity,
    SignalType,
    Status,
    StructuralWeakness,
)
from incidents.services import LOOKBACK_MAX_DAYS, MAX_LINKS, MAX_REMEDIATIONS
from trust_portal.api.params import StrictDateTimeField
from trust_portal.api.schema import JSON_INT_MAX


def an_id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=JSON_INT_MAX, **kwargs)


# --- inputs ------------------------------------------------------------------------------------------------------


class OriginInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=OriginType.choices)
    id = an_id()


class IncidentCreateInput(serializers.Serializer):
    agent = serializers.SlugField(max_length=80)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_blank=True, default="")
    visible_at = StrictDateTimeField(
        required=False, allow_null=True, default=None, help_text="When the failure became visible (not in the future)."
    )
    clauses = serializers.ListField(
        child=serializers.CharField(max_length=63),
        max_length=MAX_LINKS,
        required=False,
        allow_null=True,
        default=None,
        help_text="Clause ids of the agent's published pacts.",
    )
    detected_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    disputes = serializers.ListField(child=an_id(), max_length=MAX_LINKS, required=False, allow_null=True, default=None)
    rulings = serializers.ListField(child=an_id(), max_length=MAX_LINKS, required=False, allow_null=True, default=None)
    owner = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Username of a member of the agent's vendor (default: the reporter, when they are one).",
    )
    public = serializers.BooleanField(required=False, default=False, help_text="The vendor's owners only.")
    lookback_days = serializers.IntegerField(min_value=1, max_value=LOOKBACK_MAX_DAYS, required=False, default=30)
    origin = OriginInput(
        required=False,
        allow_null=True,
        default=None,
        help_text="What it was opened from: the fields left out are prefilled from it.",
    )


class IncidentUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    visible_at = StrictDateTimeField(required=False)
    detected_by = serializers.CharField(max_length=200, required=False)
    owner = serializers.CharField(max_length=150, required=False, allow_blank=True, allow_null=True)
    lookback_days = serializers.IntegerField(min_value=1, max_value=LOOKBACK_MAX_DAYS, required=False)
    clauses = serializers.ListField(child=serializers.CharField(max_length=63), max_length=MAX_LINKS, required=False)
    disputes = serializers.ListField(child=an_id(), max_length=MAX_LINKS, required=False)
    rulings = serializers.ListField(child=an_id(), max_length=MAX_LINKS, required=False)


class RemediationInput(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    owner = serializers.CharField(max_length=150, help_text="Who answers for it (a person or a team).")
    due_on = serializers.DateField()
    done = serializers.BooleanField(required=False, default=False)
    operating_model_change = serializers.BooleanField(required=False, default=False)
    change_kind = serializers.ChoiceField(choices=ChangeKind.choices, required=False, allow_blank=True, default="")
    pact_version = serializers.IntegerField(
        min_value=1,
        max_value=10**6,
        required=False,
        allow_null=True,
        default=None,
        help_text="The number of the agent's pact version that made the change (published after the failure).",
    )
    pact = an_id(required=False, allow_null=True, default=None, help_text="When the agent has several pacts.")
    policy = an_id(required=False, allow_null=True, default=None)
    policy_revision = serializers.IntegerField(
        min_value=1, max_value=10**6, required=False, allow_null=True, default=None
    )


class PostmortemInput(serializers.Serializer):
    summary = serializers.CharField(max_length=10000)
    impact = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    broken_assumption = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", help_text="Required before the incident closes."
    )
    structural_weakness = serializers.SlugField(
        max_length=50,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="A slug of GET /api/v1/incidents/weaknesses/.",
    )
    contributing_factors = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    remediations = serializers.ListField(
        child=RemediationInput(), max_length=MAX_REMEDIATIONS, required=False, default=list
    )


class CloseInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class VisibilityInput(serializers.Serializer):
    public = serializers.BooleanField()


class SignalInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=SignalType.choices)
    id = an_id(required=False, allow_null=True, default=None, help_text="A verdict's or decision's id.")
    at = StrictDateTimeField(
        required=False, allow_null=True, default=None, help_text="For another signal: when it was there."
    )
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    justification = serializers.CharField(
        max_length=5000, help_text="Why the derived signal is not the first (≥ 20 characters)."
    )


class IncidentNoteInput(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    at = StrictDateTimeField(
        required=False, allow_null=True, default=None, help_text="The moment it is about (default now)."
    )


class NoteEditInput(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    at = StrictDateTimeField(required=False, allow_null=True, default=None)


class IncidentListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False, default="", allow_blank=True)
    agent = serializers.SlugField(required=False, default="", allow_blank=True, max_length=80)
    vendor = serializers.SlugField(required=False, default="", allow_blank=True, max_length=80)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default="", allow_blank=True)
    weakness = serializers.SlugField(required=False, default="", allow_blank=True, max_length=50)


class MetricsQuery(serializers.Serializer):
    vendor = serializers.SlugField(
        required=False, default="", allow_blank=True, max_length=80, help_text="An organization slug."
    )
    agent = serializers.SlugField(required=False, default="", allow_blank=True, max_length=80)
    # ``from`` is a Python keyword: declared below.
    to = StrictDateTimeField(required=False, allow_null=True, default=None, help_text="End of the period (exclusive).")
    repeat_by = serializers.ChoiceField(
        choices=[("agent", "agent"), ("vendor", "vendor")], required=False, default="agent"
    )
    repeat_window_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, default=90)


MetricsQuery._declared_fields["from"] = StrictDateTimeField(
    required=False, allow_null=True, default=None, help_text="Start of the period (failures visible from then on)."
)


# --- outputs -----------------------------------------------------------------------------------------------------


class SignalOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=SignalType.choices)
    id = serializers.IntegerField(allow_null=True, help_text="Null for a decision the caller may not see.")
    at = serializers.DateTimeField()
    clause_id = serializers.CharField()
    summary = serializers.CharField()
    overridden = serializers.BooleanField()
    justification = serializers.CharField()
    set_by = serializers.CharField(allow_null=True)
    set_at = serializers.DateTimeField(allow_null=True)


class RemediationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner = serializers.CharField()
    due_on = serializers.DateField()
    done = serializers.BooleanField()
    operating_model_change = serializers.BooleanField()
    change_kind = serializers.CharField()
    pact = serializers.IntegerField(allow_null=True)
    pact_version = serializers.IntegerField(allow_null=True)
    policy = serializers.IntegerField(allow_null=True)
    policy_revision = serializers.IntegerField(allow_null=True)
    changed_operating_model = serializers.BooleanField(help_text="Claimed and linked to the version that made it.")

    def to_representation(self, item: Remediation) -> dict[str, Any]:
        return {
            "id": item.pk,
            "title": item.title,
            "owner": item.owner,
            "due_on": item.due_on.isoformat(),
            "done": item.done,
            "operating_model_change": item.operating_model_change,
            "change_kind": item.change_kind,
            "pact": item.pact_version.pact_id if item.pact_version else None,
            "pact_version": item.pact_version.number if item.pact_version else None,
            "policy": item.policy_revision.policy_id if item.policy_revision else None,
            "policy_revision": item.policy_revision.number if item.policy_revision else None,
            "changed_operating_model": item.changed_operating_model,
        }


class PostmortemOutput(serializers.Serializer):
    summary = serializers.CharField()
    impact = serializers.CharField()
    broken_assumption = serializers.CharField()
    structural_weakness = serializers.CharField(allow_null=True)
    contributing_factors = serializers.CharField()
    author = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    remediations = RemediationOutput(many=True)


class EventOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True)
    action = serializers.CharField()
    to = serializers.CharField()
    note = serializers.CharField()


EventOutput._declared_fields["from"] = serializers.CharField()


class NoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    author = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class OriginOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=OriginType.choices)
    id = serializers.IntegerField()


class IncidentSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    agent = serializers.CharField()
    vendor = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    visible_at = serializers.DateTimeField()
    public = serializers.BooleanField()
    first_missed_signal_at = serializers.DateTimeField(allow_null=True)
    structural_weakness = serializers.CharField(allow_null=True)
    broken_assumption_identified = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def to_representation(self, incident: Incident) -> dict[str, Any]:
        from incidents.selectors import postmortem_of

        postmortem = postmortem_of(incident)
        return {
            "id": incident.pk,
            "agent": incident.agent.slug,
            "vendor": incident.agent.organization.slug,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "visible_at": serializers.DateTimeField().to_representation(incident.visible_at),
            "public": incident.public,
            "first_missed_signal_at": serializers.DateTimeField().to_representation(incident.signal_at)
            if incident.signal_at
            else None,
            "structural_weakness": postmortem.structural_weakness.slug
            if postmortem and postmortem.structural_weakness
            else None,
            "broken_assumption_identified": bool(postmortem and postmortem.broken_assumption.strip()),
            "created_at": serializers.DateTimeField().to_representation(incident.created_at),
        }


class IncidentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    agent = serializers.CharField()
    vendor = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    visible_at = serializers.DateTimeField()
    detected_by = serializers.CharField()
    owner = serializers.CharField(allow_null=True)
    public = serializers.BooleanField()
    reported_by = serializers.CharField()
    reported_by_organization = serializers.CharField(allow_null=True)
    origin = OriginOutput(allow_null=True)
    clauses = serializers.ListField(child=serializers.CharField())
    disputes = serializers.ListField(child=serializers.IntegerField(), help_text="Those the caller may see.")
    rulings = serializers.ListField(child=serializers.IntegerField(), help_text="Those the caller may see.")
    lookback_days = serializers.IntegerField()
    first_missed_signal_at = serializers.DateTimeField(allow_null=True)
    first_missed_signal = SignalOutput(allow_null=True)
    time_to_visible_failure_seconds = serializers.FloatField(allow_null=True)
    postmortem = PostmortemOutput(allow_null=True)
    events = EventOutput(many=True)
    notes = NoteOutput(many=True)
    actions = serializers.ListField(child=serializers.CharField(), help_text="What the caller may do now.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class WeaknessOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    active = serializers.BooleanField()

    def to_representation(self, weakness: StructuralWeakness) -> dict[str, Any]:
        return {
            "slug": weakness.slug,
            "name": weakness.name,
            "description": weakness.description,
            "active": weakness.active,
        }


class LeadOutput(serializers.Serializer):
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    distribution = serializers.ListField(
        child=serializers.DictField(), help_text="[{label, min_seconds, max_seconds, count}]"
    )


class MetricsOutput(serializers.Serializer):
    time_to_visible_failure = LeadOutput()
    broken_assumption_share = serializers.FloatField(allow_null=True)
    repeat_weakness_rate = serializers.FloatField(allow_null=True)
    repeat_weakness = serializers.DictField()
    operating_model_change_share = serializers.FloatField(allow_null=True)
    claimed_change_share = serializers.FloatField(allow_null=True)
    postmortems_closed = serializers.IntegerField()
    incidents = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_weakness = serializers.ListField(child=serializers.DictField())
    period = serializers.DictField()


class TimelineItemOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    count = serializers.IntegerField()
    note = serializers.IntegerField(allow_null=True)
