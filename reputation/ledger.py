"""The consequence ledger: service credits a breach earns each engaged buyer, and their transitions.

Access follows the signal at once; money waits for due process. A breach of a clause whose ``on_breach`` has a
``service_credit`` creates one entry per engagement active that day, ``pending_cure`` until the pact's cure period
ends (``dispute_terms.cure_days``, else ``response_days``), then ``owed`` (the sweep); the vendor's owner marks it
``paid`` or ``waived``; a ruling may ``cancel`` it. Every transition is a conditional UPDATE from the states that
allow it (a refusal is a 409 naming the current state), writes a ``LedgerEvent`` and tells the buyer.

**The amount** (Decimal throughout, never float): ``percent`` % of the monthly fee, pro rata to the days of the
breach's billing month (the calendar month, UTC, of the verdict that recorded the breach) on which the engagement
was active, quantized to cents (ROUND_HALF_UP)::

    amount = monthly_fee × percent / 100 × active_days_in_month / days_in_month
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require
from pacts.models import PactClause, PactVersion
from reputation import events
from reputation.models import Engagement, LedgerEntry, LedgerEvent
from trust_portal.errors import Conflict, NotFound
from verdicts.models import Verdict

CENT = Decimal("0.01")
Status = LedgerEntry.Status

# Which states each transition leaves from.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.OWED: (Status.PENDING_CURE,),
    Status.PAID: (Status.OWED,),
    Status.WAIVED: (Status.OWED, Status.PENDING_CURE),
    Status.CANCELLED: (Status.PENDING_CURE, Status.OWED),
}
VERBS: dict[str, str] = {
    Status.OWED: "become owed",
    Status.PAID: "be paid",
    Status.WAIVED: "be waived",
    Status.CANCELLED: "cancel",
}


class LedgerTransitionRefused(Conflict):
    code = "invalid_transition"


# --- the rules of money ------------------------------------------------------------------------------------------


def service_credit_percent(on_breach: Iterable[Any]) -> Decimal | None:
    """The percent of the fee a breach credits (summed over its ``service_credit`` actions), or None."""
    percents = [
        Decimal(str(action["percent"]))
        for action in on_breach or []
        if isinstance(action, dict) and action.get("action") == "service_credit" and "percent" in action
    ]
    return sum(percents, Decimal(0)) if percents else None


def cure_days(document: dict[str, Any]) -> int:
    """The pact's cure period: ``dispute_terms.cure_days`` when it names one, else ``response_days``."""
    terms = document.get("dispute_terms") or {}
    days = terms.get("cure_days", terms.get("response_days", 0))
    return int(days)


def active_days_in_month(engagement: Engagement, day: date) -> tuple[int, int]:
    """(days of ``day``'s calendar month the engagement was active, days in that month).

    Active from the later of ``starts_on`` and the day the engagement was recorded: a start dated back does not
    earn credits for days the portal never knew of it (a breach cannot be engaged into after the fact)."""
    length = calendar.monthrange(day.year, day.month)[1]
    first, last = day.replace(day=1), day.replace(day=length)
    recorded = timezone.localdate(engagement.created_at) if engagement.created_at else engagement.starts_on
    start = max(first, engagement.starts_on, recorded)
    end = min(last, engagement.ends_on) if engagement.ends_on else last
    return max(0, (end - start).days + 1), length


def credit_amount(*, monthly_fee: Decimal, percent: Decimal, active_days: int, month_days: int) -> Decimal:
    """``percent`` % of the fee, pro rata ``active_days / month_days``, to the cent (half up)."""
    raw = Decimal(monthly_fee) * Decimal(percent) / Decimal(100) * Decimal(active_days) / Decimal(month_days)
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


# --- reads -------------------------------------------------------------------------------------------------------


def ledger_list(
    *, user: Any, status: str = "", agent: str = "", currency: str = "", buyer: str = ""
) -> QuerySet[LedgerEntry]:
    """The entries the user may see (their organization's as buyer, their agents' as vendor, all for staff)."""
    entries = LedgerEntry.objects.restrict(user, "view").select_related("agent", "buyer", "engagement")
    if status:
        entries = entries.filter(status=status)
    if agent:
        entries = entries.filter(agent__slug=agent)
    if currency:
        entries = entries.filter(currency=currency)
    if buyer:
        entries = entries.filter(buyer__slug=buyer)
    return entries.order_by("-created_at", "-id")


def ledger_entry_get(*, user: Any, entry_id: int) -> LedgerEntry:
    found = ledger_list(user=user).filter(pk=entry_id).first()
    if found is None:
        raise NotFound("No such ledger entry.")
    return found


@dataclass(frozen=True)
class Total:
    currency: str
    amount: Decimal  # everything not cancelled or waived: what the breaches cost
    outstanding: Decimal  # pending_cure + owed
    paid: Decimal
    count: int


def ledger_totals(entries: QuerySet[LedgerEntry]) -> list[Total]:
    """Per currency (one query): the credits earned, outstanding and paid (amounts are never summed across
    currencies)."""
    zero = Decimal("0.00")
    rows = (
        entries.order_by()
        .values("currency")
        .annotate(
            earned=Sum("amount", filter=~Q(status__in=[Status.CANCELLED, Status.WAIVED])),
            outstanding=Sum("amount", filter=Q(status__in=[Status.PENDING_CURE, Status.OWED])),
            paid=Sum("amount", filter=Q(status=Status.PAID)),
            count=Count("id"),
        )
        .order_by("currency")
    )
    return [
        Total(
            currency=row["currency"],
            amount=Decimal(row["earned"] or zero).quantize(CENT),
            outstanding=Decimal(row["outstanding"] or zero).quantize(CENT),
            paid=Decimal(row["paid"] or zero).quantize(CENT),
            count=row["count"],
        )
        for row in rows
    ]


def totals_of(entries: Iterable[LedgerEntry]) -> list[Total]:
    """The same totals over entries already fetched (one page), without a query."""
    acc: dict[str, list[Any]] = {}
    for entry in entries:
        row = acc.setdefault(entry.currency, [Decimal(0), Decimal(0), Decimal(0), 0])
        if entry.status not in (Status.CANCELLED, Status.WAIVED):
            row[0] += entry.amount
        if entry.status in (Status.PENDING_CURE, Status.OWED):
            row[1] += entry.amount
        if entry.status == Status.PAID:
            row[2] += entry.amount
        row[3] += 1
    return [
        Total(
            currency=c,
            amount=r[0].quantize(CENT),
            outstanding=r[1].quantize(CENT),
            paid=r[2].quantize(CENT),
            count=r[3],
        )
        for c, r in sorted(acc.items())
    ]


# --- writes ------------------------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def percent_wire(percent: Decimal) -> str:
    """A percent as the API writes it (three decimals, ``"10.000"``): webhooks carry the same string."""
    return format(Decimal(percent).quantize(Decimal("0.001")), "f")


def percent_text(percent: Decimal) -> str:
    """A percent for people: no trailing zeros and never an exponent (``10``, ``2.5``; ``normalize()`` alone
    writes ten as ``1E+1``)."""
    return format(Decimal(percent).normalize(), "f")


def entry_data(entry: LedgerEntry) -> dict[str, Any]:
    """The entry as events and webhooks carry it (the API's field names)."""
    return {
        "id": entry.pk,
        "agent": entry.agent.slug,
        "buyer": entry.buyer.slug,
        "clause": entry.clause_id,
        "verdict": entry.verdict_id,
        "kind": entry.kind,
        "percent": percent_wire(entry.percent),
        "amount": str(entry.amount),
        "currency": entry.currency,
        "status": entry.status,
        "cure_ends_at": _iso(entry.cure_ends_at),
    }


def _announce(event_type: str, entry: LedgerEntry, title: str) -> None:
    events.publish(
        event_type,
        agent=entry.agent,
        title=title[:200],
        url=reverse("reputation:ledger") + f"?agent={entry.agent.slug}",
        data=entry_data(entry),
        organizations=[entry.buyer_id],
    )


def previous_status(verdict: Verdict) -> str | None:
    """The status of the clause's verdict before this one (a breach is new only when that was not breached)."""
    return (
        Verdict.objects.filter(pact_id=verdict.pact_id, clause_id=verdict.clause_id)
        .exclude(pk=verdict.pk)
        .filter(computed_at__lte=verdict.computed_at)
        .order_by("-computed_at", "-id")
        .values_list("status", flat=True)
        .first()
    )


def ledger_entries_for_breach(*, verdict: Verdict) -> list[LedgerEntry]:
    """A breach was recorded: one ``pending_cure`` entry per engagement of the agent under that pact active on the
    breach's day, if the clause credits a breach and the clause was not already breached (a breach earns its
    credit once, not again for each later verdict row of it). Idempotent (unique per verdict and engagement)."""
    if verdict.status != Verdict.Status.BREACHED or previous_status(verdict) == Verdict.Status.BREACHED:
        return []
    clause = PactClause.objects.filter(version_id=verdict.pact_version_id, clause_id=verdict.clause_id).first()
    percent = service_credit_percent(clause.on_breach if clause else [])
    if percent is None:
        return []
    version = PactVersion.objects.get(pk=verdict.pact_version_id)
    at = verdict.computed_at
    cure_ends_at = at + timedelta(days=cure_days(version.document))
    day = at.astimezone(UTC).date()
    created = []
    for engagement in Engagement.objects.filter(agent_id=verdict.agent_id, pact_id=verdict.pact_id).select_related(
        "agent", "buyer"
    ):
        if engagement.ended_at is not None and engagement.ended_at <= at:
            continue
        if not (engagement.starts_on <= day and (engagement.ends_on is None or day <= engagement.ends_on)):
            continue
        if LedgerEntry.objects.filter(verdict=verdict, engagement=engagement).exists():
            continue
        active, length = active_days_in_month(engagement, day)
        entry = LedgerEntry.objects.create(
            agent_id=verdict.agent_id,
            buyer_id=engagement.buyer_id,
            engagement=engagement,
            verdict=verdict,
            clause_id=verdict.clause_id,
            kind="service_credit",
            percent=percent,
            amount=credit_amount(
                monthly_fee=engagement.monthly_fee, percent=percent, active_days=active, month_days=length
            ),
            currency=engagement.currency,
            status=Status.PENDING_CURE,
            cure_ends_at=cure_ends_at,
            created_at=at,
            updated_at=at,
        )
        LedgerEvent.objects.create(
            entry=entry,
            at=at,
            old="",
            new=Status.PENDING_CURE,
            note=f"{verdict.clause_id} breached (pact v{version.number}); {percent_text(percent)} % of the fee, "
            f"{active}/{length} days of {day:%B %Y}; cure period ends {cure_ends_at:%Y-%m-%d %H:%M} UTC",
        )
        _announce(
            "ledger.entry_created",
            entry,
            f"{engagement.agent.name}: service credit of {entry.amount} {entry.currency} pending cure",
        )
        created.append(entry)
    return created


def ledger_credit_from_ruling(
    *,
    agent: Any,
    buyer: Any,
    clause_id: str,
    verdict: Verdict | None,
    percent: Decimal,
    ruling_id: int,
    note: str,
    now: datetime,
) -> LedgerEntry | None:
    """A ruling awards a service credit: ``owed`` at once (the dispute was the due process), on the buyer's
    engagement with the agent (the latest one), pro rata like a breach's credit for the ruling's month. Once per
    ruling and engagement (``ledger_once_per_ruling_engagement``); None when the buyer never engaged the agent."""
    engagement = (
        Engagement.objects.filter(agent=agent, buyer=buyer)
        .select_related("agent", "buyer")
        .order_by("-created_at")
        .first()
    )
    if engagement is None:
        return None
    existing = LedgerEntry.objects.filter(ruling_id=ruling_id, engagement=engagement).first()
    if existing is not None:
        return existing
    day = now.astimezone(UTC).date()
    active, length = active_days_in_month(engagement, day)
    entry = LedgerEntry.objects.create(
        agent=agent,
        buyer_id=engagement.buyer_id,
        engagement=engagement,
        verdict=None,
        ruling_id=ruling_id,
        clause_id=clause_id,
        kind="service_credit",
        percent=percent,
        amount=credit_amount(
            monthly_fee=engagement.monthly_fee, percent=percent, active_days=max(active, 1), month_days=length
        ),
        currency=engagement.currency,
        status=Status.OWED,
        cure_ends_at=now,
        note=note[:1000],
        created_at=now,
        updated_at=now,
    )
    LedgerEvent.objects.create(
        entry=entry,
        at=now,
        old="",
        new=Status.OWED,
        note=f"{note}: {percent_text(percent)} % of the fee, {max(active, 1)}/{length} days of {day:%B %Y}",
    )
    _announce("ledger.entry_created", entry, f"{agent.name}: service credit of {entry.amount} {entry.currency} owed")
    return entry


def ledger_on_evaluation(agent_id: int, written: list[Verdict], now: datetime) -> list[LedgerEntry]:
    """``verdicts.hooks.evaluated``: credits for the breaches this evaluation recorded, in its transaction."""
    created: list[LedgerEntry] = []
    for verdict in written:
        if verdict.status == Verdict.Status.BREACHED:
            created.extend(ledger_entries_for_breach(verdict=verdict))
    return created


def _transition(
    *, entry: LedgerEntry, to: str, actor: User | None, note: str = "", now: datetime | None = None
) -> LedgerEntry:
    """One named transition: a conditional UPDATE from the states that allow it, an event, the buyer told."""
    now = now or timezone.now()
    sources = TRANSITIONS[to]
    changes: dict[str, Any] = {"status": to, "updated_at": now}
    if to != Status.OWED:
        changes["note"] = note[:1000]
    with transaction.atomic():
        old = ""
        for source in sources:  # one conditional UPDATE per source state: the one that matched is the old state
            condition = Q(pk=entry.pk, status=source)
            if to == Status.OWED:
                condition &= Q(cure_ends_at__lte=now)
            if LedgerEntry.objects.filter(condition).update(**changes) == 1:
                old = source
                break
        if not old:
            current = LedgerEntry.objects.filter(pk=entry.pk).values_list("status", flat=True).first()
            allowed = " or ".join(s.replace("_", " ") for s in sources)
            raise LedgerTransitionRefused(
                f"This entry is {str(current).replace('_', ' ')}; only an entry {allowed} can {VERBS[to]}.",
                errors=[{"field": "status", "message": f"current state: {current}", "code": "invalid_transition"}],
            )
        entry.refresh_from_db()
        LedgerEvent.objects.create(entry=entry, at=now, old=old, new=to, actor=actor, note=note[:1000])
        _announce(
            "ledger.entry_updated",
            entry,
            f"{entry.agent.name}: service credit of {entry.amount} {entry.currency} {to.replace('_', ' ')}",
        )
    return entry


def ledger_entry_pay(*, user: User, entry: LedgerEntry, note: str = "", now: datetime | None = None) -> LedgerEntry:
    """owed → paid (the vendor's owner records the credit as paid)."""
    require(user, "reputation.settle_ledger_entry", entry)
    return _transition(entry=entry, to=Status.PAID, actor=user, note=note, now=now)


def ledger_entry_waive(*, user: User, entry: LedgerEntry, note: str, now: datetime | None = None) -> LedgerEntry:
    """pending cure or owed → waived (the vendor's owner, with a note saying why)."""
    require(user, "reputation.settle_ledger_entry", entry)
    return _transition(entry=entry, to=Status.WAIVED, actor=user, note=note, now=now)


def ledger_entry_cancel(
    *, user: User | None, entry: LedgerEntry, note: str, now: datetime | None = None
) -> LedgerEntry:
    """pending cure or owed → cancelled: what a ruling does (staff today; the disputes app calls it with
    ``user=None`` when a ruling cancels a credit)."""
    if user is not None:
        require(user, "reputation.cancel_ledger_entry", entry)
    return _transition(entry=entry, to=Status.CANCELLED, actor=user, note=note, now=now)


# ``(entry ids) -> the ids among them an open dispute holds`` (the disputes app registers one): money waits for
# due process, so a credit whose entry or breach is under dispute stays pending until the dispute ends.
held_entries: list[Callable[[list[int]], set[int]]] = []


def ledger_cure_sweep(*, now: datetime | None = None) -> int:
    """pending cure → owed for every entry whose cure period has ended (at ``cure_ends_at`` to the second), unless
    an open dispute holds it. Idempotent: an entry moved by a concurrent sweep is skipped."""
    now = now or timezone.now()
    moved = 0
    due = list(
        LedgerEntry.objects.filter(status=Status.PENDING_CURE, cure_ends_at__lte=now)
        .order_by("cure_ends_at", "id")
        .select_related("agent", "buyer")
    )
    held: set[int] = set()
    for provider in held_entries:
        held |= provider([entry.pk for entry in due])
    for entry in due:
        if entry.pk in held:
            continue
        try:
            _transition(entry=entry, to=Status.OWED, actor=None, note="cure period ended", now=now)
        except LedgerTransitionRefused:
            continue
        moved += 1
    return moved
