"""Every write on incidents: a named function that checks who may make it (``accounts.permissions.require``),
validates its input (a 400 naming the field), and moves the incident with a conditional UPDATE (from the states
that allow it, at the revision the caller read) that writes exactly one ``IncidentEvent``.

The state machine and the models are drawn in ``incidents.models``; the first missed signal is derived by
``incidents.missed_signals``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Membership, User
from accounts.permissions import require
from accounts.rules import organization_id_of
from disputes.models import Dispute, Ruling
from incidents import missed_signals
from incidents.errors import BrokenAssumptionRequired, IncidentInvalid, TransitionRefused
from incidents.models import (
    ChangeKind,
    Incident,
    IncidentClause,
    IncidentEvent,
    OriginType,
    Postmortem,
    Remediation,
    Severity,
    SignalType,
    Status,
    StructuralWeakness,
    TimelineNote,
)
from pacts.models import Agent, PactClause, PactVersion
from reputation.models import AccessPolicy, Decision, PolicyRevision
from trust_portal.transitions import guarded_move
from verdicts.models import Verdict

MAX_REMEDIATIONS = 50
MAX_LINKS = 50
LOOKBACK_MAX_DAYS = 365
FUTURE_SKEW = timedelta(minutes=5)


# --- input ---------------------------------------------------------------------------------------------------


def text(value: Any, field: str, *, required: bool = True, maximum: int = 5000) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise IncidentInvalid(field, "This field is required.", "required")
        return ""
    if not isinstance(value, str):
        raise IncidentInvalid(field, "Must be a string.", "invalid_type")
    value = value.strip()
    if len(value) > maximum:
        raise IncidentInvalid(field, f"At most {maximum} characters.", "too_long")
    return value


def choice(value: Any, field: str, choices: Iterable[str]) -> str:
    allowed = list(choices)
    if not isinstance(value, str) or value not in allowed:
        raise IncidentInvalid(field, f"One of: {', '.join(allowed)}.", "invalid_choice")
    return value


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise IncidentInvalid(field, "Must be true or false.", "invalid_type")
    return value


def whole(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise IncidentInvalid(field, f"A whole number from {minimum} to {maximum}.", "invalid")
    return value


def moment(value: Any, field: str, *, now: datetime, past_only: bool = True) -> datetime:
    """An aware date-time (a datetime, or RFC 3339 text), within years 1–9999 UTC; not in the future."""
    parsed: datetime | None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except (ValueError, OverflowError):
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise IncidentInvalid(field, "A date-time (RFC 3339, e.g. 2026-11-20T00:00:00Z).", "invalid")
    if timezone.is_naive(parsed):
        raise IncidentInvalid(field, "Give the offset (Z or ±hh:mm).", "invalid")
    try:
        parsed = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise IncidentInvalid(field, "Within years 1–9999 in UTC.", "invalid") from None
    if parsed.year < 2000:
        raise IncidentInvalid(field, "Not before the year 2000.", "invalid")
    if past_only and parsed > now + FUTURE_SKEW:
        raise IncidentInvalid(field, "Not in the future.", "invalid")
    return parsed


def day(value: Any, field: str) -> dt.date:
    parsed: dt.date | None
    if isinstance(value, dt.date) and not isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise IncidentInvalid(field, "A date (YYYY-MM-DD).", "invalid")
    if parsed.year < 2000:
        raise IncidentInvalid(field, "Not before the year 2000.", "invalid")
    return parsed


def id_list(value: Any, field: str) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or len(value) > MAX_LINKS:
        raise IncidentInvalid(field, f"A list of at most {MAX_LINKS} ids.", "invalid")
    return [whole(item, f"{field}.{i}", minimum=1, maximum=2**53 - 1) for i, item in enumerate(value)]


# --- moving an incident --------------------------------------------------------------------------------------


def _label(status: str) -> str:
    return str(Status(status).label).lower()


def move(
    incident: Incident,
    *,
    actor: User | None,
    action: str,
    sources: Iterable[str],
    to: str | None = None,
    note: str = "",
    now: datetime,
    **changes: Any,
) -> Incident:
    """One write: UPDATE … WHERE status IN sources AND revision = the one read (409 otherwise), one event
    (``trust_portal.transitions.guarded_move``)."""
    return guarded_move(
        incident,
        event_model=IncidentEvent,
        event_field="incident",
        refused=TransitionRefused,
        label=_label,
        actor=actor,
        action=action,
        sources=sources,
        to=to,
        note=note,
        now=now,
        **changes,
    )


NOT_CLOSED = (Status.OPEN, Status.ANALYSING)


# --- what an incident involves -------------------------------------------------------------------------------


def clauses_resolve(*, agent: Agent, clause_ids: Any) -> list[tuple[int, str]]:
    """Clause ids of the agent's published pacts → ``(pact_id, clause_id)`` (every pact naming the id)."""
    if clause_ids is None:
        return []
    if not isinstance(clause_ids, list | tuple) or len(clause_ids) > MAX_LINKS:
        raise IncidentInvalid("clauses", f"A list of at most {MAX_LINKS} clause ids.", "invalid")
    wanted = [text(c, f"clauses.{i}", maximum=63) for i, c in enumerate(clause_ids)]
    known = set(
        PactClause.objects.filter(version__pact__agent=agent, clause_id__in=wanted)
        .exclude(version__status=PactVersion.Status.DRAFT)
        .values_list("version__pact_id", "clause_id")
        .distinct()
    )
    for i, clause_id in enumerate(wanted):
        if not any(c == clause_id for _, c in known):
            raise IncidentInvalid(f"clauses.{i}", f"{agent.slug} has no published clause {clause_id!r}.", "not_found")
    return sorted(known, key=lambda pc: (pc[1], pc[0]))


def _disputes_of(user: User, agent: Agent, ids: list[int], field: str) -> list[Dispute]:
    found = {d.pk: d for d in Dispute.objects.restrict(user, "view").filter(pk__in=ids, agent=agent)}
    for i, pk in enumerate(ids):
        if pk not in found:
            raise IncidentInvalid(f"{field}.{i}", f"No dispute {pk} about {agent.slug} that you may see.", "not_found")
    return list(found.values())


def _rulings_of(user: User, agent: Agent, ids: list[int], field: str) -> list[Ruling]:
    found = {r.pk: r for r in Ruling.objects.restrict(user, "view").filter(pk__in=ids, agent=agent)}
    for i, pk in enumerate(ids):
        if pk not in found:
            raise IncidentInvalid(f"{field}.{i}", f"No ruling {pk} about {agent.slug} that you may see.", "not_found")
    return list(found.values())


def _owner_of(agent: Agent, username: Any, field: str = "owner") -> User | None:
    if username in (None, ""):
        return None
    name = text(username, field, maximum=150)
    membership = (
        Membership.objects.select_related("user")
        .filter(user__username=name, user__is_active=True, organization_id=agent.organization_id)
        .first()
    )
    if membership is None:
        raise IncidentInvalid(field, f"{name!r} is not a member of {agent.slug}'s vendor.", "not_found")
    return membership.user


def _signal_fields(signal: missed_signals.Signal | None) -> dict[str, Any]:
    if signal is None:
        return {"signal_type": "", "signal_id": None, "signal_at": None, "signal_clause_id": "", "signal_summary": ""}
    return {
        "signal_type": signal.type,
        "signal_id": signal.id,
        "signal_at": signal.at,
        "signal_clause_id": signal.clause_id,
        "signal_summary": signal.summary[:300],
    }


def derived_signal(incident: Incident) -> missed_signals.Signal | None:
    clauses = list(incident.clauses.values_list("pact_id", "clause_id"))
    return missed_signals.derive(
        agent_id=incident.agent_id,
        clauses=clauses,
        visible_at=incident.visible_at,
        lookback_days=incident.lookback_days,
    )


# --- reporting -----------------------------------------------------------------------------------------------


def incident_create(
    *,
    user: User,
    agent: Agent,
    title: Any,
    severity: Any,
    visible_at: Any,
    detected_by: Any,
    clauses: Any = None,
    disputes: Any = None,
    rulings: Any = None,
    owner: Any = None,
    public: Any = False,
    lookback_days: Any = 30,
    origin: tuple[str, int] | None = None,
    now: datetime | None = None,
) -> Incident:
    """Report an incident (open), its first missed signal derived at once."""
    now = now or timezone.now()
    require(user, "incidents.create", agent)
    title = text(title, "title", maximum=200)
    severity = choice(severity, "severity", Severity.values)
    visible = moment(visible_at, "visible_at", now=now)
    detected = text(detected_by, "detected_by", maximum=200)
    lookback = whole(lookback_days, "lookback_days", minimum=1, maximum=LOOKBACK_MAX_DAYS)
    is_public = flag(public, "public")
    if is_public:
        require(user, "incidents.publish", Incident(agent=agent))
    involved = clauses_resolve(agent=agent, clause_ids=clauses)
    dispute_rows = _disputes_of(user, agent, id_list(disputes, "disputes"), "disputes")
    ruling_rows = _rulings_of(user, agent, id_list(rulings, "rulings"), "rulings")
    owner_user = _owner_of(agent, owner)
    if owner_user is None and organization_id_of(user) == agent.organization_id:
        owner_user = user
    origin_type, origin_id = origin if origin else ("", None)
    if origin_type and origin_type not in OriginType.values:
        raise IncidentInvalid("origin.type", f"One of: {', '.join(OriginType.values)}.", "invalid_choice")
    signal = missed_signals.derive(agent_id=agent.pk, clauses=involved, visible_at=visible, lookback_days=lookback)
    with transaction.atomic():
        incident = Incident.objects.create(
            agent=agent,
            title=title,
            severity=severity,
            visible_at=visible,
            detected_by=detected,
            owner=owner_user,
            public=is_public,
            reported_by=user,
            reported_by_org_id=organization_id_of(user),
            origin_type=origin_type,
            origin_id=origin_id,
            lookback_days=lookback,
            created_at=now,
            updated_at=now,
            **_signal_fields(signal),
        )
        IncidentClause.objects.bulk_create(
            [IncidentClause(incident=incident, pact_id=pact_id, clause_id=clause_id) for pact_id, clause_id in involved]
        )
        linked_disputes = {d.pk for d in dispute_rows} | {r.dispute_id for r in ruling_rows}
        incident.disputes.set(linked_disputes)
        incident.rulings.set([r.pk for r in ruling_rows])
        where = f" from {origin_type.replace('_', ' ')} #{origin_id}" if origin_type else ""
        IncidentEvent.objects.create(
            incident=incident,
            at=now,
            actor=user,
            action="create",
            from_status="",
            to_status=Status.OPEN,
            note=f"reported{where}",
        )
    return incident


def incident_update(*, user: User, incident: Incident, now: datetime | None = None, **changes: Any) -> Incident:
    """Correct what the report says (title, severity, visible_at, detected_by, owner, lookback_days, clauses,
    disputes, rulings) while it is not closed; a derived first missed signal is derived again."""
    now = now or timezone.now()
    require(user, "incidents.analyse", incident)
    known = {
        "title",
        "severity",
        "visible_at",
        "detected_by",
        "owner",
        "lookback_days",
        "clauses",
        "disputes",
        "rulings",
    }
    for name in changes:
        if name not in known:
            raise IncidentInvalid(name, "Not a field that can be changed.", "unknown_field")
    fields: dict[str, Any] = {}
    if "title" in changes:
        fields["title"] = text(changes["title"], "title", maximum=200)
    if "severity" in changes:
        fields["severity"] = choice(changes["severity"], "severity", Severity.values)
    if "visible_at" in changes:
        fields["visible_at"] = moment(changes["visible_at"], "visible_at", now=now)
    if "detected_by" in changes:
        fields["detected_by"] = text(changes["detected_by"], "detected_by", maximum=200)
    if "owner" in changes:
        fields["owner"] = _owner_of(incident.agent, changes["owner"])
    if "lookback_days" in changes:
        fields["lookback_days"] = whole(changes["lookback_days"], "lookback_days", minimum=1, maximum=LOOKBACK_MAX_DAYS)
    involved = clauses_resolve(agent=incident.agent, clause_ids=changes["clauses"]) if "clauses" in changes else None
    dispute_rows = (
        _disputes_of(user, incident.agent, id_list(changes["disputes"], "disputes"), "disputes")
        if "disputes" in changes
        else None
    )
    ruling_rows = (
        _rulings_of(user, incident.agent, id_list(changes["rulings"], "rulings"), "rulings")
        if "rulings" in changes
        else None
    )
    with transaction.atomic():
        if involved is not None:
            IncidentClause.objects.filter(incident=incident).delete()
            IncidentClause.objects.bulk_create(
                [IncidentClause(incident=incident, pact_id=p, clause_id=c) for p, c in involved]
            )
        if dispute_rows is not None:
            incident.disputes.set([d.pk for d in dispute_rows])
        if ruling_rows is not None:
            incident.rulings.set([r.pk for r in ruling_rows])
            incident.disputes.add(*{r.dispute_id for r in ruling_rows})
        rederive = not incident.signal_overridden and bool({"visible_at", "lookback_days", "clauses"} & set(changes))
        if rederive:
            probe = Incident(
                pk=incident.pk,
                agent_id=incident.agent_id,
                visible_at=fields.get("visible_at", incident.visible_at),
                lookback_days=fields.get("lookback_days", incident.lookback_days),
            )
            fields.update(_signal_fields(derived_signal(probe)))
        incident = move(
            incident,
            actor=user,
            action="edit",
            sources=NOT_CLOSED,
            note="changed " + ", ".join(sorted(changes)),
            now=now,
            **fields,
        )
    return incident


def incident_set_public(*, user: User, incident: Incident, public: Any, now: datetime | None = None) -> Incident:
    now = now or timezone.now()
    require(user, "incidents.publish", incident)
    value = flag(public, "public")
    return move(
        incident,
        actor=user,
        action="publish" if value else "unpublish",
        sources=Status.values,
        note="made public" if value else "made private",
        now=now,
        public=value,
    )


# --- the analysis --------------------------------------------------------------------------------------------


def incident_start_analysis(*, user: User, incident: Incident, now: datetime | None = None) -> Incident:
    """open → analysing."""
    now = now or timezone.now()
    require(user, "incidents.analyse", incident)
    return move(incident, actor=user, action="analyse", sources=[Status.OPEN], to=Status.ANALYSING, now=now)


def _weakness(value: Any) -> StructuralWeakness | None:
    if value in (None, ""):
        return None
    slug = text(value, "structural_weakness", maximum=50)
    found = StructuralWeakness.objects.filter(slug=slug, active=True).first()
    if found is None:
        offered = ", ".join(StructuralWeakness.objects.filter(active=True).values_list("slug", flat=True))
        raise IncidentInvalid("structural_weakness", f"One of: {offered}.", "invalid_choice")
    return found


def _pact_version_link(incident: Incident, item: dict[str, Any], field: str) -> PactVersion:
    number = whole(item.get("pact_version"), f"{field}.pact_version", minimum=1, maximum=10**6)
    versions = PactVersion.objects.filter(pact__agent_id=incident.agent_id, number=number).select_related("pact")
    if item.get("pact") is not None:
        versions = versions.filter(pact_id=whole(item["pact"], f"{field}.pact", minimum=1, maximum=2**53 - 1))
    found = list(versions[:2])
    if not found:
        raise IncidentInvalid(
            f"{field}.pact_version", f"{incident.agent.slug} has no pact version {number}.", "not_found"
        )
    if len(found) > 1:
        raise IncidentInvalid(
            f"{field}.pact", "The agent has several pacts with this version: name the pact.", "required"
        )
    version = found[0]
    if version.published_at is None:
        raise IncidentInvalid(
            f"{field}.pact_version", f"v{number} is a draft: link the version once it is published.", "not_published"
        )
    if version.published_at <= incident.visible_at:
        raise IncidentInvalid(
            f"{field}.pact_version",
            f"v{number} was published before the failure became visible: it cannot be the change this incident made.",
            "not_newer",
        )
    return version


def _policy_revision_link(user: User, incident: Incident, item: dict[str, Any], field: str) -> PolicyRevision:
    policy_id = whole(item.get("policy"), f"{field}.policy", minimum=1, maximum=2**53 - 1)
    number = whole(item.get("policy_revision"), f"{field}.policy_revision", minimum=1, maximum=10**6)
    policy = AccessPolicy.objects.restrict(user, "view").filter(pk=policy_id).first()
    if policy is None:
        raise IncidentInvalid(f"{field}.policy", f"No policy {policy_id} that you may see.", "not_found")
    revision = PolicyRevision.objects.filter(policy=policy, number=number).first()
    if revision is None:
        raise IncidentInvalid(f"{field}.policy_revision", f"Policy {policy_id} has no revision {number}.", "not_found")
    if revision.created_at <= incident.visible_at:
        raise IncidentInvalid(
            f"{field}.policy_revision",
            f"Revision {number} was written before the failure became visible: it cannot be this incident's change.",
            "not_newer",
        )
    return revision


REMEDIATION_FIELDS = {
    "title",
    "owner",
    "due_on",
    "done",
    "operating_model_change",
    "change_kind",
    "pact_version",
    "pact",
    "policy",
    "policy_revision",
}


def remediations_clean(*, user: User, incident: Incident, items: Any) -> list[Remediation]:
    if items is None:
        return []
    if not isinstance(items, list | tuple) or len(items) > MAX_REMEDIATIONS:
        raise IncidentInvalid("remediations", f"A list of at most {MAX_REMEDIATIONS} items.", "invalid")
    cleaned = []
    for i, item in enumerate(items):
        field = f"remediations.{i}"
        if not isinstance(item, dict):
            raise IncidentInvalid(field, "An object.", "invalid_type")
        for name in item:
            if name not in REMEDIATION_FIELDS:
                raise IncidentInvalid(f"{field}.{name}", "Unknown field.", "unknown_field")
        change = flag(item.get("operating_model_change", False), f"{field}.operating_model_change")
        kind = item.get("change_kind") or ""
        if kind:
            kind = choice(kind, f"{field}.change_kind", ChangeKind.values)
        if change and not kind:
            raise IncidentInvalid(
                f"{field}.change_kind",
                "An operating-model change adds a threshold, a downgrade path, a stronger evidence artifact or an "
                "ownership boundary: say which.",
                "required",
            )
        has_pact = item.get("pact_version") is not None
        has_policy = item.get("policy") is not None or item.get("policy_revision") is not None
        if has_pact and has_policy:
            raise IncidentInvalid(f"{field}.policy", "Link a pact version or a policy revision, not both.", "invalid")
        if (has_pact or has_policy) and not change:
            raise IncidentInvalid(
                f"{field}.operating_model_change", "Only an operating-model change links a version.", "invalid"
            )
        cleaned.append(
            Remediation(
                position=i,
                title=text(item.get("title"), f"{field}.title", maximum=300),
                owner=text(item.get("owner"), f"{field}.owner", maximum=150),
                due_on=day(item.get("due_on"), f"{field}.due_on"),
                done=flag(item.get("done", False), f"{field}.done"),
                operating_model_change=change,
                change_kind=kind if change else "",
                pact_version=_pact_version_link(incident, item, field) if has_pact else None,
                policy_revision=_policy_revision_link(user, incident, item, field) if has_policy else None,
            )
        )
    return cleaned


def postmortem_write(
    *,
    user: User,
    incident: Incident,
    summary: Any,
    impact: Any = "",
    broken_assumption: Any = "",
    structural_weakness: Any = None,
    contributing_factors: Any = "",
    remediations: Any = None,
    now: datetime | None = None,
) -> Postmortem:
    """Write (or rewrite) the postmortem and its remediation items while the incident is not closed; an open
    incident moves to analysing."""
    now = now or timezone.now()
    require(user, "incidents.analyse", incident)
    fields = {
        "summary": text(summary, "summary", maximum=10000),
        "impact": text(impact, "impact", required=False, maximum=10000),
        "broken_assumption": text(broken_assumption, "broken_assumption", required=False, maximum=5000),
        "structural_weakness": _weakness(structural_weakness),
        "contributing_factors": text(contributing_factors, "contributing_factors", required=False, maximum=10000),
    }
    items = remediations_clean(user=user, incident=incident, items=remediations)
    with transaction.atomic():
        existing = Postmortem.objects.filter(incident=incident).first()
        incident = move(
            incident,
            actor=user,
            action="postmortem",
            sources=NOT_CLOSED,
            to=Status.ANALYSING,
            note=("postmortem revised" if existing else "postmortem written") + f", {len(items)} remediation item(s)",
            now=now,
        )
        if existing is None:
            postmortem = Postmortem.objects.create(
                incident=incident, author=user, created_at=now, updated_at=now, **fields
            )
        else:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.updated_at = now
            existing.save()
            postmortem = existing
            postmortem.remediations.all().delete()
        for item in items:
            item.postmortem = postmortem
        Remediation.objects.bulk_create(items)
    return postmortem


def incident_close(*, user: User, incident: Incident, note: Any = "", now: datetime | None = None) -> Incident:
    """analysing → closed: refused (409) without a postmortem naming the broken assumption."""
    now = now or timezone.now()
    require(user, "incidents.close", incident)
    reason = text(note, "note", required=False, maximum=1000)
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if incident.status == Status.ANALYSING and (postmortem is None or not postmortem.broken_assumption.strip()):
        raise BrokenAssumptionRequired(
            "Name the broken assumption in the postmortem before closing: an incident closes only once it is known "
            "which belief about the agent turned out false.",
            errors=[{"field": "broken_assumption", "message": "required to close", "code": "required"}],
        )
    return move(
        incident,
        actor=user,
        action="close",
        sources=[Status.ANALYSING],
        to=Status.CLOSED,
        note=reason,
        now=now,
        closed_at=now,
    )


# --- the first missed signal ---------------------------------------------------------------------------------


def _signal_from_origin(incident: Incident, kind: str, pk: int) -> tuple[datetime, str, str]:
    """The moment, clause and summary of a named signal (it must concern the incident's agent)."""
    if kind == SignalType.VERDICT:
        verdict = Verdict.objects.filter(pk=pk, agent_id=incident.agent_id).select_related("pact_version").first()
        if verdict is None:
            raise IncidentInvalid("id", f"No verdict {pk} of {incident.agent.slug}.", "not_found")
        summary = f"{verdict.clause_id} {verdict.get_status_display().lower()} (pact v{verdict.pact_version.number})"  # type: ignore[attr-defined]
        return verdict.computed_at, verdict.clause_id, summary
    if kind == SignalType.DECISION:
        decision = Decision.objects.filter(pk=pk, agent_id=incident.agent_id).first()
        if decision is None:
            raise IncidentInvalid("id", f"No access decision {pk} of {incident.agent.slug}.", "not_found")
        return decision.at, "", f"an access decision answered {decision.result}"
    raise IncidentInvalid("type", "Name a verdict or a decision by id; anything else by its moment.", "invalid")


def signal_set(
    *,
    user: User,
    incident: Incident,
    type: Any,
    justification: Any,
    id: Any = None,
    at: Any = None,
    summary: Any = "",
    now: datetime | None = None,
) -> Incident:
    """Correct the first missed signal, with a recorded justification (who and when are kept)."""
    now = now or timezone.now()
    require(user, "incidents.analyse", incident)
    kind = choice(type, "type", SignalType.values)
    why = text(justification, "justification", maximum=5000)
    if len(why) < 20:
        raise IncidentInvalid("justification", "Say why in at least 20 characters.", "too_short")
    if kind in (SignalType.VERDICT, SignalType.DECISION):
        signal_id: int | None = whole(id, "id", minimum=1, maximum=2**53 - 1)
        signal_at, clause_id, text_summary = _signal_from_origin(incident, kind, signal_id)  # type: ignore[arg-type]
    else:
        signal_id = None
        signal_at = moment(at, "at", now=now)
        clause_id = ""
        text_summary = text(summary, "summary", maximum=300)
    if signal_at > incident.visible_at:
        raise IncidentInvalid("at", "A missed signal comes before the failure became visible.", "after_visible")
    before = incident.signal_summary or "none derived"
    return move(
        incident,
        actor=user,
        action="signal",
        sources=NOT_CLOSED,
        note=f"first missed signal set (was: {before}): {why}",
        now=now,
        signal_type=kind,
        signal_id=signal_id,
        signal_at=signal_at,
        signal_clause_id=clause_id,
        signal_summary=text_summary[:300],
        signal_overridden=True,
        signal_justification=why,
        signal_set_by=user,
        signal_set_at=now,
    )


def signal_rederive(*, user: User, incident: Incident, now: datetime | None = None) -> Incident:
    """Drop a correction: the first missed signal is derived from history again."""
    now = now or timezone.now()
    require(user, "incidents.analyse", incident)
    return move(
        incident,
        actor=user,
        action="signal",
        sources=NOT_CLOSED,
        note="first missed signal derived from history again",
        now=now,
        signal_overridden=False,
        signal_justification="",
        signal_set_by=user,
        signal_set_at=now,
        **_signal_fields(derived_signal(incident)),
    )


# --- notes beside the timeline -------------------------------------------------------------------------------


def note_add(*, user: User, incident: Incident, body: Any, at: Any = None, now: datetime | None = None) -> TimelineNote:
    now = now or timezone.now()
    require(user, "incidents.note", incident)
    text_body = text(body, "body", maximum=5000)
    when = moment(at, "at", now=now) if at not in (None, "") else now
    with transaction.atomic():
        note = TimelineNote.objects.create(incident=incident, author=user, at=when, body=text_body, created_at=now)
        move(incident, actor=user, action="note", sources=Status.values, note=f"note #{note.pk} added", now=now)
    return note


def note_edit(
    *, user: User, note: TimelineNote, body: Any, at: Any = None, now: datetime | None = None
) -> TimelineNote:
    now = now or timezone.now()
    require(user, "incidents.edit_note", note)
    note.body = text(body, "body", maximum=5000)
    if at not in (None, ""):
        note.at = moment(at, "at", now=now)
    with transaction.atomic():
        note.edited_at = now
        note.save(update_fields=["body", "at", "edited_at"])
        move(note.incident, actor=user, action="note", sources=Status.values, note=f"note #{note.pk} edited", now=now)
    return note
