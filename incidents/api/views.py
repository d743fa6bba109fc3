"""Incidents over the API: report, read, analyse (postmortem, first missed signal, notes), close, the metrics.

The same selectors, services and permission checks as the pages: an incident the caller may not see is a 404, an
action they may not take a 403 (naming who may), a refused transition a 409 naming the current state (closing
without a broken assumption: 409 ``broken_assumption_required``). Every query parameter is known or refused.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.actions import act, action_view
from accounts.api.permissions import TokenScopeAllows
from accounts.permissions import can_view, require
from accounts.roles import signed_in_user
from disputes.models import Dispute, Ruling
from incidents import metrics, selectors, services
from incidents.api import serializers as s
from incidents.errors import IncidentInvalid
from incidents.models import Incident, SignalType, TimelineNote
from pacts.models import Agent
from reputation.models import Decision
from trust_portal.api.pagination import CursorPagination, paginated_response
from trust_portal.api.params import strict_query
from trust_portal.api.schema import PROBLEM
from trust_portal.errors import InvalidQuery, NotFound

TAGS = ["incidents"]
PUBLIC_READS = [IsAuthenticatedOrReadOnly, TokenScopeAllows]  # public incidents are public


def _incident_of(user: Any, incident_id: int) -> Incident:
    found = Incident.objects.restrict(user, "view").select_related("agent").filter(pk=incident_id).first()
    if found is None:
        raise NotFound("No such incident.")
    return found


def _when(value: Any) -> Any:
    return serializers.DateTimeField().to_representation(value) if value else None


def incident_body(user: Any, incident_id: int) -> dict[str, Any]:
    incident = selectors.incident_get(user=user, incident_id=incident_id)
    postmortem = selectors.postmortem_of(incident)
    dispute_ids = [d.pk for d in incident.disputes.all()]
    ruling_ids = [r.pk for r in incident.rulings.all()]
    seen_disputes = set(Dispute.objects.restrict(user, "view").filter(pk__in=dispute_ids).values_list("pk", flat=True))
    seen_rulings = set(Ruling.objects.restrict(user, "view").filter(pk__in=ruling_ids).values_list("pk", flat=True))
    signal = None
    if incident.signal_at:
        signal_id = incident.signal_id
        if incident.signal_type == SignalType.DECISION and signal_id:
            decision = Decision.objects.filter(pk=signal_id).select_related("policy").first()
            signal_id = signal_id if decision and can_view(user, decision) else None
        signal = {
            "type": incident.signal_type,
            "id": signal_id,
            "at": _when(incident.signal_at),
            "clause_id": incident.signal_clause_id,
            "summary": incident.signal_summary,
            "overridden": incident.signal_overridden,
            "justification": incident.signal_justification,
            "set_by": incident.signal_set_by.username if incident.signal_set_by else None,
            "set_at": _when(incident.signal_set_at),
        }
    return {
        "id": incident.pk,
        "agent": incident.agent.slug,
        "vendor": incident.agent.organization.slug,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "visible_at": _when(incident.visible_at),
        "detected_by": incident.detected_by,
        "owner": incident.owner.username if incident.owner else None,
        "public": incident.public,
        "reported_by": incident.reported_by.username,
        "reported_by_organization": incident.reported_by_org.name if incident.reported_by_org else None,
        "origin": {"type": incident.origin_type, "id": incident.origin_id} if incident.origin_type else None,
        "clauses": sorted({c.clause_id for c in incident.clauses.all()}),
        "disputes": [pk for pk in dispute_ids if pk in seen_disputes],
        "rulings": [pk for pk in ruling_ids if pk in seen_rulings],
        "lookback_days": incident.lookback_days,
        "first_missed_signal_at": _when(incident.signal_at),
        "first_missed_signal": signal,
        "time_to_visible_failure_seconds": incident.signal_lead_seconds,
        "postmortem": {
            "summary": postmortem.summary,
            "impact": postmortem.impact,
            "broken_assumption": postmortem.broken_assumption,
            "structural_weakness": postmortem.structural_weakness.slug if postmortem.structural_weakness else None,
            "contributing_factors": postmortem.contributing_factors,
            "author": postmortem.author.username,
            "created_at": _when(postmortem.created_at),
            "updated_at": _when(postmortem.updated_at),
            "remediations": s.RemediationOutput(postmortem.remediations.all(), many=True).data,
        }
        if postmortem
        else None,
        "events": [
            {
                "at": _when(e.at),
                "actor": e.actor.username if e.actor else None,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "note": e.note,
            }
            for e in incident.events.all()
        ],
        "notes": [
            {
                "id": n.pk,
                "at": _when(n.at),
                "author": n.author.username,
                "body": n.body,
                "created_at": _when(n.created_at),
                "edited_at": _when(n.edited_at),
            }
            for n in incident.notes.all()
        ],
        "actions": selectors.actions_for(user, incident),
        "created_at": _when(incident.created_at),
        "updated_at": _when(incident.updated_at),
        "closed_at": _when(incident.closed_at),
    }


CREATE_EXAMPLE = {
    "agent": "refund-bot",
    "title": "Refunds stuck for 6 hours",
    "severity": "critical",
    "visible_at": "2026-11-28T14:00:00Z",
    "clauses": ["resolution-rate"],
    "detected_by": "customer complaints to Northwind's support desk",
}
POSTMORTEM_EXAMPLE = {
    "summary": "The payment provider's migration broke refund confirmations; the agent kept retrying silently.",
    "broken_assumption": "A refund the agent marked done had reached the customer.",
    "structural_weakness": "hidden_rescue_work",
    "remediations": [
        {
            "title": "Count a refund done only on the provider's webhook",
            "owner": "payments team",
            "due_on": "2026-12-15",
            "operating_model_change": True,
            "change_kind": "evidence_artifact",
            "pact_version": 4,
        }
    ],
}


def create_fields(user: Any, body: dict[str, Any]) -> tuple[Agent, dict[str, Any]]:
    """The report's fields: the body's, the rest prefilled from its origin; the agent as the caller may see it."""
    agent = Agent.objects.restrict(user, "view").filter(slug=body["agent"]).first()
    if agent is None:
        raise IncidentInvalid("agent", f"No agent {body['agent']!r}.", "not_found")
    fields: dict[str, Any] = {}
    origin = body.get("origin")
    if origin:
        try:
            prefill = selectors.origin_prefill(user=user, origin_type=origin["type"], origin_id=origin["id"])
        except NotFound:
            raise IncidentInvalid(
                "origin.id", f"No {origin['type'].replace('_', ' ')} {origin['id']} that you may see.", "not_found"
            ) from None
        if prefill["agent"].pk != agent.pk:
            raise IncidentInvalid(
                "origin.id", f"That {origin['type'].replace('_', ' ')} is not about {agent.slug}.", "mismatch"
            )
        fields = {k: v for k, v in prefill.items() if k != "agent"}
        fields["origin"] = (origin["type"], origin["id"])
    for name in ("title", "severity", "detected_by"):
        if body[name]:
            fields[name] = body[name]
    for name in ("visible_at", "clauses", "disputes", "rulings"):
        if body[name] is not None:
            fields[name] = body[name]
    fields.setdefault("title", "")
    fields.setdefault("severity", "")
    fields.setdefault("detected_by", "")
    fields.setdefault("visible_at", None)
    fields.update(owner=body["owner"], public=body["public"], lookback_days=body["lookback_days"])
    return agent, fields


class IncidentListView(APIView):
    pagination_class = CursorPagination
    permission_classes = PUBLIC_READS

    @extend_schema(
        parameters=[s.IncidentListQuery],
        responses={200: s.IncidentSummaryOutput(many=True), 400: PROBLEM},
        description="The incidents the caller may see (their agents'; those of agents their organization engages; "
        "those they reported; public ones; all for staff), the most recent failure first.",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = strict_query(request, s.IncidentListQuery, paginated=True)
        incidents = selectors.incident_list(user=request.user, **filters)
        return paginated_response(self, request, incidents, s.IncidentSummaryOutput, ("-visible_at", "-id"))

    @extend_schema(
        request=s.IncidentCreateInput,
        responses={201: s.IncidentOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        examples=[OpenApiExample("a breach customers saw first", value=CREATE_EXAMPLE, request_only=True)],
        description="Report an incident (members of the agent's vendor, of a buyer organization engaging it, or "
        "staff): open, with its first missed signal derived from history at once. With `origin` (a verdict, ruling "
        "or tier change) the fields left out are prefilled from it. `public` is for the vendor's owners.",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        strict_query(request)
        require(user, "incidents.create")  # before the body is read
        data = s.IncidentCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        agent, fields = create_fields(user, dict(data.validated_data))
        incident = services.incident_create(user=user, agent=agent, **fields)
        return Response(incident_body(user, incident.pk), status=status.HTTP_201_CREATED)


class IncidentDetailView(APIView):
    permission_classes = PUBLIC_READS

    @extend_schema(
        responses={200: s.IncidentOutput, 400: PROBLEM, 404: PROBLEM},
        description="An incident with its clauses, disputes, rulings, first missed signal, postmortem, events, notes "
        "and the caller's `actions`; 404 to anyone who may not see it.",
        tags=TAGS,
    )
    def get(self, request: Request, incident_id: int) -> Response:
        strict_query(request)
        return Response(incident_body(request.user, incident_id))

    @extend_schema(
        request=s.IncidentUpdateInput,
        responses={200: s.IncidentOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        description="Correct the report while it is not closed (the vendor's members, staff); a derived first missed "
        "signal is derived again when the moment, look-back or clauses change.",
        tags=TAGS,
    )
    def patch(self, request: Request, incident_id: int) -> Response:
        return act(
            request,
            incident_id,
            find=_incident_of,
            permission="incidents.analyse",
            body_class=s.IncidentUpdateInput,
            service=services.incident_update,
            target="incident",
            answer=incident_body,
            partial=True,
        )


ACTION_RESPONSES = {200: s.IncidentOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}


def _postmortem(*, user: Any, incident: Incident, **fields: Any) -> Any:
    fields["remediations"] = [dict(item) for item in fields.get("remediations", [])]
    return services.postmortem_write(user=user, incident=incident, **fields)


def _action_view(
    name: str, permission: str, body_class: Any, service: Any, description: str, examples: Any = ()
) -> type[APIView]:
    """One action's view (``accounts.api.actions``): 404 unless the caller sees the incident, 403 unless they may
    act, then the body (400), then the write."""
    return action_view(
        target="incident",
        name=name,
        permission=permission,
        body_class=body_class,
        service=service,
        description=description,
        find=_incident_of,
        answer=incident_body,
        responses=ACTION_RESPONSES,
        tags=TAGS,
        examples=examples,
    )


ACTION_VIEWS: dict[str, type[APIView]] = {
    "analyse": _action_view(
        "analyse",
        "incidents.analyse",
        None,
        services.incident_start_analysis,
        "open → analysing (the vendor's members, staff). Writing the postmortem does it too.",
    ),
    "postmortem": _action_view(
        "postmortem",
        "incidents.analyse",
        s.PostmortemInput,
        _postmortem,
        "Write or rewrite the postmortem and its remediation items (the vendor's members, staff) while the incident "
        "is not closed; an open incident moves to analysing. A remediation that is an operating-model change names "
        "its `change_kind` and may link the pact version (`pact_version`, a number of the agent's pact, published "
        "after the failure became visible) or policy revision (`policy` + `policy_revision`) that made it: the link "
        "is checked (400 naming the item's field).",
        [OpenApiExample("a postmortem", value=POSTMORTEM_EXAMPLE, request_only=True)],
    ),
    "close": _action_view(
        "close",
        "incidents.close",
        s.CloseInput,
        services.incident_close,
        "analysing → closed (the vendor's owners, staff). 409 `broken_assumption_required` while the postmortem "
        "names no broken assumption; 409 `invalid_transition` from any other state.",
    ),
    "visibility": _action_view(
        "visibility",
        "incidents.publish",
        s.VisibilityInput,
        services.incident_set_public,
        "Make the incident public (everyone may read it) or private again (the vendor's owners, staff).",
    ),
    "first-missed-signal": _action_view(
        "first-missed-signal",
        "incidents.analyse",
        s.SignalInput,
        services.signal_set,
        "Correct the first missed signal with a justification (≥ 20 characters; who and when are recorded): a "
        "verdict or decision of the agent by `id`, or another signal by its moment `at` and `summary`; never after "
        "the failure became visible.",
    ),
    "first-missed-signal/derive": _action_view(
        "first-missed-signal-derive",
        "incidents.analyse",
        None,
        services.signal_rederive,
        "Drop the correction: the first missed signal is derived from history again.",
    ),
}


def _note_add(*, user: Any, incident: Incident, **fields: Any) -> Any:
    return services.note_add(user=user, incident=incident, **fields)


ACTION_VIEWS["notes"] = _action_view(
    "notes",
    "incidents.note",
    s.IncidentNoteInput,
    _note_add,
    "Add a note beside the timeline at a moment (default now): the vendor's members, the reporting organization's "
    "members, staff.",
)


class NoteDetailView(APIView):
    @extend_schema(
        request=s.NoteEditInput,
        responses=ACTION_RESPONSES,
        description="Edit a note (its author only).",
        tags=TAGS,
    )
    def patch(self, request: Request, incident_id: int, note_id: int) -> Response:
        user = signed_in_user(request)
        strict_query(request)
        incident = _incident_of(user, incident_id)
        note = TimelineNote.objects.select_related("incident__agent").filter(pk=note_id, incident=incident).first()
        if note is None:
            raise NotFound("No such note.")
        require(user, "incidents.edit_note", note)
        data = s.NoteEditInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.note_edit(user=user, note=note, **data.validated_data)
        return Response(incident_body(user, incident_id))


class TimelineView(APIView):
    permission_classes = PUBLIC_READS

    @extend_schema(
        responses={200: s.TimelineItemOutput(many=True), 400: PROBLEM, 404: PROBLEM},
        description="The incident's timeline, oldest first: the involved clauses' verdicts, the agent's tier changes, "
        "access decisions, ledger and dispute events the caller may see, the incident's own events and notes.",
        tags=TAGS,
    )
    def get(self, request: Request, incident_id: int) -> Response:
        strict_query(request)
        incident = selectors.incident_get(user=request.user, incident_id=incident_id)
        items = selectors.timeline(user=request.user, incident=incident)
        return Response(
            [
                {
                    "at": _when(i.at),
                    "kind": i.kind,
                    "title": i.title,
                    "detail": i.detail,
                    "url": i.url,
                    "count": i.count,
                    "note": i.note.pk if i.note else None,
                }
                for i in items
            ]
        )


class WeaknessListView(APIView):
    permission_classes = PUBLIC_READS

    @extend_schema(
        responses={200: s.WeaknessOutput(many=True), 400: PROBLEM},
        description="The structural-weakness taxonomy (staff extend it in the admin); inactive ones are no longer "
        "offered for new postmortems.",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        strict_query(request)
        return Response(s.WeaknessOutput(selectors.weakness_list(), many=True).data)


def metrics_for(user: Any, filters: dict[str, Any]) -> dict[str, Any]:
    start, end = filters.get("from"), filters.get("to")
    if start and end and start >= end:
        raise InvalidQuery("from must be before to.", field="from")
    rows = selectors.metric_rows(
        user=user,
        vendor=filters["vendor"],
        agent=filters["agent"],
        start=start,
        end=end,
        history_days=filters["repeat_window_days"],
    )
    body = metrics.compute(
        rows, start=start, end=end, by=filters["repeat_by"], window_days=filters["repeat_window_days"]
    )
    body["period"] = {
        "from": _when(start),
        "to": _when(end),
        "vendor": filters["vendor"] or None,
        "agent": filters["agent"] or None,
    }
    return body


class MetricsView(APIView):
    permission_classes = PUBLIC_READS

    @extend_schema(
        parameters=[s.MetricsQuery],
        responses={200: s.MetricsOutput, 400: PROBLEM},
        description="The four failure metrics over the incidents the caller may see whose failure became visible in "
        "[from, to): time from first missed signal to visible failure (median, p90, distribution), the share with "
        "an identified broken assumption, the repeat rate of a structural weakness (same agent, or vendor with "
        "`repeat_by=vendor`, within `repeat_window_days`), and the share of closed postmortems that changed the "
        "operating model (a remediation linked to the pact version or policy revision that made it).",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = strict_query(request, s.MetricsQuery)
        return Response(metrics_for(request.user, filters))
