"""Reads of incidents: what a user may see, one incident whole, its timeline, what a report opened from a verdict,
a ruling or a tier change starts with, and the rows the metrics are computed from.

The timeline is assembled from the history of the involved agent and clauses — verdicts, tier changes, access
decisions, ledger events, dispute events — each source scoped to what the reader may see and read in one query
(seven in all, whatever the history's length), plus the incident's own events and notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import can_view
from disputes.models import Dispute, DisputeEvent, Ruling
from incidents.errors import IncidentInvalid
from incidents.models import (
    Incident,
    IncidentClause,
    IncidentEvent,
    OriginType,
    Postmortem,
    Remediation,
    Severity,
    Status,
    TimelineNote,
)
from pacts.models import PactClause
from reputation.models import Decision, LedgerEntry, LedgerEvent, TierChange
from trust_portal.errors import NotFound
from verdicts.models import Verdict

SOURCE_LIMIT = 500  # items per timeline source (the newest are dropped first: the run-up matters most)
DECISION_SCAN = 2000


def incident_list(
    *, user: Any, status: str = "", agent: str = "", vendor: str = "", severity: str = "", weakness: str = ""
) -> QuerySet[Incident]:
    """The incidents the user may see, the most recent failure first."""
    incidents = Incident.objects.restrict(user, "view").select_related(
        "agent", "agent__organization", "owner", "postmortem", "postmortem__structural_weakness"
    )
    if status:
        incidents = incidents.filter(status=status)
    if agent:
        incidents = incidents.filter(agent__slug=agent)
    if vendor:
        incidents = incidents.filter(agent__organization__slug=vendor)
    if severity:
        incidents = incidents.filter(severity=severity)
    if weakness:
        incidents = incidents.filter(postmortem__structural_weakness__slug=weakness)
    return incidents.order_by("-visible_at", "-id")


def incident_get(*, user: Any, incident_id: int) -> Incident:
    """One incident whole (clauses, disputes, rulings, postmortem and remediations, events, notes), or 404."""
    found = (
        Incident.objects.restrict(user, "view")  # type: ignore[misc,type-var]
        .select_related(
            "agent",
            "agent__organization",
            "owner",
            "reported_by",
            "reported_by_org",
            "signal_set_by",
            "postmortem",
            "postmortem__structural_weakness",
            "postmortem__author",
        )
        .prefetch_related(
            Prefetch("clauses", queryset=IncidentClause.objects.all()),
            Prefetch("disputes", queryset=Dispute.objects.order_by("id")),
            Prefetch("rulings", queryset=Ruling.objects.order_by("id")),
            Prefetch("events", queryset=IncidentEvent.objects.select_related("actor")),
            Prefetch("notes", queryset=TimelineNote.objects.select_related("author")),
            Prefetch(
                "postmortem__remediations",
                queryset=Remediation.objects.select_related("pact_version", "policy_revision__policy"),
            ),
        )
        .filter(pk=incident_id)
        .first()
    )
    if found is None:
        raise NotFound("No such incident.")
    return found


def postmortem_of(incident: Incident) -> Postmortem | None:
    try:
        return incident.postmortem
    except Postmortem.DoesNotExist:
        return None


# --- the timeline --------------------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # verdict, tier, decision, ledger, dispute, incident, note, marker
    title: str
    detail: str = ""
    url: str = ""
    tone: str = ""  # ok, warn, bad, neutral
    note: TimelineNote | None = None
    count: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def timeline_window(incident: Incident, now: datetime | None = None) -> tuple[datetime, datetime]:
    start = incident.visible_at - timedelta(days=incident.lookback_days)
    if incident.signal_at and incident.signal_at < start:
        start = incident.signal_at
    end = incident.closed_at or now or timezone.now()
    return start, max(end, incident.visible_at)


def _clause_q(clauses: list[IncidentClause]) -> Q:
    where = Q(pk__in=[])
    for clause in clauses:
        where |= Q(pact_id=clause.pact_id, clause_id=clause.clause_id)
    return where


TONE = {"met": "ok", "breached": "bad", "stale": "warn", "insufficient_evidence": "warn"}


def timeline(*, user: Any, incident: Incident, now: datetime | None = None) -> list[TimelineItem]:
    """The run-up to the failure and what followed, oldest first; notes sit beside the moment they are about.

    ``incident`` comes from ``incident_get`` (clauses, disputes, events and notes prefetched)."""
    start, end = timeline_window(incident, now)
    clauses = list(incident.clauses.all())
    clause_ids = sorted({c.clause_id for c in clauses})
    items: list[TimelineItem] = []

    verdicts = Verdict.objects.filter(agent_id=incident.agent_id, computed_at__gte=start, computed_at__lte=end)
    if clauses:
        verdicts = verdicts.filter(_clause_q(clauses))
    for v in verdicts.select_related("pact_version").order_by("computed_at", "id")[:SOURCE_LIMIT]:
        items.append(
            TimelineItem(
                v.computed_at,
                "verdict",
                f"{v.clause_id} {v.get_status_display().lower()}",  # type: ignore[attr-defined]
                f"verdict #{v.pk}, pact v{v.pact_version.number}",
                reverse("verdicts:clause", args=[incident.agent.slug, v.pact_id, v.clause_id]),
                TONE.get(v.status, ""),
                extra={"id": v.pk, "status": v.status},
            )
        )

    changes = TierChange.objects.restrict(user, "view").filter(agent_id=incident.agent_id, at__gte=start, at__lte=end)
    for c in changes.order_by("at", "id")[:SOURCE_LIMIT]:
        items.append(
            TimelineItem(
                c.at,
                "tier",
                f"tier {c.old} → {c.new}",
                c.reason,
                reverse("reputation:score", args=[incident.agent.slug]),
                "bad" if c.is_downgrade else "ok",
                extra={"id": c.pk},
            )
        )

    decisions = (
        Decision.objects.restrict(user, "view")
        .filter(agent_id=incident.agent_id, at__gte=start, at__lte=end)
        .select_related("policy")
        .order_by("at", "id")
    )
    wanted = set(clause_ids)
    last: TimelineItem | None = None
    for d in decisions[:DECISION_SCAN]:
        shown = (d.input or {}).get("verdicts") or {}
        degraded = sorted(
            c
            for c, s in (shown.items() if isinstance(shown, dict) else [])
            if s != "met" and (not wanted or c in wanted)
        )
        if d.result == "allow" and not degraded:
            continue  # an allow on a healthy record says nothing here
        title = f"access {d.result} under {d.policy.name}"
        detail = f"while {', '.join(degraded)} not met" if degraded else "; ".join(d.reasons or [])[:300]
        if last and last.kind == "decision" and last.title == title and last.detail == detail:
            last.count += 1
            continue
        tone = "bad" if d.result == "allow" else "neutral"
        last = TimelineItem(
            d.at, "decision", title, detail, reverse("reputation:policy", args=[d.policy_id]), tone, extra={"id": d.pk}
        )
        items.append(last)

    entries = LedgerEntry.objects.restrict(user, "view").filter(agent_id=incident.agent_id)
    if clause_ids:
        entries = entries.filter(clause_id__in=clause_ids)
    ledger = (
        LedgerEvent.objects.filter(entry__in=entries, at__gte=start, at__lte=end)
        .select_related("entry", "entry__buyer")
        .order_by("at", "id")
    )
    for le in ledger[:SOURCE_LIMIT]:
        items.append(
            TimelineItem(
                le.at,
                "ledger",
                f"service credit {le.old or 'new'} → {le.new}",
                f"{le.entry.amount} {le.entry.currency} to {le.entry.buyer.name} ({le.entry.clause_id})",
                reverse("reputation:ledger") + f"?agent={incident.agent.slug}",
                "warn",
                extra={"id": le.pk},
            )
        )

    involved = [d.pk for d in incident.disputes.all()]
    disputes = Dispute.objects.restrict(user, "view").filter(agent_id=incident.agent_id)
    if clause_ids:
        disputes = disputes.filter(Q(clause_id__in=clause_ids) | Q(pk__in=involved))
    dispute_events = (
        DisputeEvent.objects.filter(dispute__in=disputes, at__gte=start, at__lte=end)
        .select_related("actor")
        .order_by("at", "id")
    )
    for de in dispute_events[:SOURCE_LIMIT]:
        items.append(
            TimelineItem(
                de.at,
                "dispute",
                f"dispute #{de.dispute_id}: {de.action.replace('_', ' ')}",
                f"{de.from_status or '·'} → {de.to_status}" + (f" — {de.note}" if de.note else ""),
                reverse("disputes:detail", args=[de.dispute_id]),
                "neutral",
                extra={"id": de.pk},
            )
        )

    for e in incident.events.all():
        items.append(
            TimelineItem(
                e.at,
                "incident",
                f"incident {e.action}",
                (f"{e.from_status or '·'} → {e.to_status}" if e.from_status != e.to_status else "")
                + (f" — {e.note}" if e.note else ""),
                tone="neutral",
                extra={"actor": e.actor.username if e.actor else "system"},
            )
        )
    for n in incident.notes.all():
        items.append(TimelineItem(n.at, "note", f"note by {n.author.username}", n.body, note=n))
    items.append(
        TimelineItem(incident.visible_at, "marker", "the failure became visible", incident.detected_by, tone="bad")
    )
    if incident.signal_at:
        items.append(
            TimelineItem(incident.signal_at, "marker", "first missed signal", incident.signal_summary, tone="warn")
        )
    order = {"marker": 0, "verdict": 1, "tier": 2, "decision": 3, "ledger": 4, "dispute": 5, "incident": 6, "note": 7}
    items.sort(key=lambda i: (i.at, order.get(i.kind, 9)))
    return items


# --- one click from a verdict, a ruling or a tier change -----------------------------------------------------
# --- one click from a verdict, a ruling or a tier change -----------------------------------------------------


def origin_prefill(*, user: Any, origin_type: str, origin_id: int) -> dict[str, Any]:
    """What a report opened from a breached verdict, a ruling or a tier change starts with (404 if the user may
    not see it): the agent, a title, severity, the moment, the clause, the dispute and ruling."""
    if origin_type == OriginType.VERDICT:
        verdict = Verdict.objects.select_related("agent", "pact_version").filter(pk=origin_id).first()
        if verdict is None:
            raise NotFound("No such verdict.")
        clause = PactClause.objects.filter(version_id=verdict.pact_version_id, clause_id=verdict.clause_id).first()
        status = verdict.get_status_display().lower()  # type: ignore[attr-defined]
        return {
            "agent": verdict.agent,
            "title": f"{verdict.clause_id} {status}",
            "severity": clause.severity if clause and clause.severity in Severity.values else Severity.MAJOR,
            "visible_at": verdict.computed_at,
            "detected_by": f"verdict #{verdict.pk}: {verdict.clause_id} {status}",
            "clauses": [verdict.clause_id],
            "disputes": [],
            "rulings": [],
        }
    if origin_type == OriginType.RULING:
        ruling = Ruling.objects.restrict(user, "view").select_related("agent").filter(pk=origin_id).first()
        if ruling is None:
            raise NotFound("No such ruling.")
        about = ruling.clause_id or ruling.agent.slug
        severity = ruling.severity if ruling.severity in Severity.values else Severity.MAJOR
        return {
            "agent": ruling.agent,
            "title": f"Ruling #{ruling.pk} on {about}: {ruling.get_outcome_display().lower()}",  # type: ignore[attr-defined]
            "severity": severity,
            "visible_at": ruling.created_at,
            "detected_by": f"dispute #{ruling.dispute_id}, ruling #{ruling.pk}",
            "clauses": [ruling.clause_id] if ruling.clause_id else [],
            "disputes": [ruling.dispute_id],
            "rulings": [ruling.pk],
        }
    if origin_type == OriginType.TIER_CHANGE:
        change = TierChange.objects.restrict(user, "view").select_related("agent").filter(pk=origin_id).first()
        if change is None:
            raise NotFound("No such tier change.")
        clauses: list[str] = []
        if change.source_type == "verdict" and change.source_id:
            clause_id = Verdict.objects.filter(pk=change.source_id).values_list("clause_id", flat=True).first()
            clauses = [clause_id] if clause_id else []
        return {
            "agent": change.agent,
            "title": f"Tier {change.old} → {change.new}",
            "severity": Severity.CRITICAL if change.new == "suspended" else Severity.MAJOR,
            "visible_at": change.at,
            "detected_by": f"tier change: {change.reason}"[:200],
            "clauses": clauses,
            "disputes": [],
            "rulings": [],
        }
    raise IncidentInvalid("origin.type", f"One of: {', '.join(OriginType.values)}.", "invalid_choice")


# --- the metrics' rows ---------------------------------------------------------------------------------------


def metric_rows(
    *,
    user: Any,
    vendor: str = "",
    agent: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    history_days: int = 0,
) -> list[dict[str, Any]]:
    """One row per incident the user may see (filtered by vendor and agent), whose failure became visible in
    ``[start - history_days, end)``: what ``incidents.metrics`` computes from. One query."""
    incidents = Incident.objects.restrict(user, "view")
    if vendor:
        incidents = incidents.filter(agent__organization__slug=vendor)
    if agent:
        incidents = incidents.filter(agent__slug=agent)
    if start is not None:
        incidents = incidents.filter(visible_at__gte=start - timedelta(days=history_days))
    if end is not None:
        incidents = incidents.filter(visible_at__lt=end)
    changes = Remediation.objects.filter(postmortem__incident=OuterRef("pk"), operating_model_change=True)
    linked = changes.filter(Q(pact_version__isnull=False) | Q(policy_revision__isnull=False))
    rows = incidents.annotate(
        has_postmortem=Exists(Postmortem.objects.filter(incident=OuterRef("pk"))),
        changed=Exists(linked),
        claimed=Exists(changes),
    ).values(
        "id",
        "agent_id",
        "agent__organization_id",
        "visible_at",
        "signal_at",
        "status",
        "has_postmortem",
        "changed",
        "claimed",
        "postmortem__broken_assumption",
        "postmortem__structural_weakness__slug",
    )
    return [
        {
            "id": r["id"],
            "agent": r["agent_id"],
            "vendor": r["agent__organization_id"],
            "visible_at": r["visible_at"],
            "signal_at": r["signal_at"],
            "status": r["status"],
            "has_postmortem": r["has_postmortem"],
            "broken_assumption": bool((r["postmortem__broken_assumption"] or "").strip()),
            "weakness": r["postmortem__structural_weakness__slug"] or "",
            "changed_operating_model": r["changed"],
            "claimed_change": r["claimed"],
        }
        for r in rows.order_by("visible_at", "id")
    ]


def shown_signal_link(user: Any, incident: Incident) -> str:
    """Where the first missed signal can be read, for this user ("" when they may not see it)."""
    if incident.signal_type == "verdict" and incident.signal_id:
        verdict = Verdict.objects.filter(pk=incident.signal_id).only("pact_id", "clause_id").first()
        if verdict:
            return reverse("verdicts:clause", args=[incident.agent.slug, verdict.pact_id, verdict.clause_id])
    if incident.signal_type == "decision" and incident.signal_id:
        decision = Decision.objects.filter(pk=incident.signal_id).select_related("policy").first()
        if decision and can_view(user, decision):
            return reverse("reputation:policy", args=[decision.policy_id])
    return ""


def clause_choices(*, agent_id: int) -> list[str]:
    return sorted(
        set(
            PactClause.objects.filter(version__pact__agent_id=agent_id)
            .exclude(version__status="draft")
            .values_list("clause_id", flat=True)
        )
    )


def actions_for(user: Any, incident: Incident) -> list[str]:
    """What this user may do to this incident now (what the page offers, what the API would accept)."""
    from accounts.permissions import may

    offered: list[str] = []
    open_ = incident.status != Status.CLOSED
    if open_ and may(user, "incidents.analyse", incident):
        if incident.status == Status.OPEN:
            offered.append("analyse")
        offered += ["postmortem", "edit", "first-missed-signal"]
    if incident.status == Status.ANALYSING and may(user, "incidents.close", incident):
        offered.append("close")
    if may(user, "incidents.publish", incident):
        offered.append("visibility")
    if may(user, "incidents.note", incident):
        offered.append("note")
    return offered


def weakness_list() -> QuerySet[Any]:
    from incidents.models import StructuralWeakness

    return StructuralWeakness.objects.all()
