"""Rulings: what an arbiter decides, what the pact lets them apply, and the effect on reputation (exactly once).

Consequences a ruling may apply (DESIGN.md's wire format), checked against the pact version the dispute runs
under and the dispute's subject:

==================  ==============================================================  ==========================
action              fields                                                          allowed when
==================  ==============================================================  ==========================
verdict_override    ``status`` breached | met, ``days`` 1–90 (default 30)           the dispute names a clause
service_credit      ``percent`` > 0, at most the clause's own ``service_credit``    a buyer party engages it
cancel_credit       ``entry``: a pending or owed ledger entry of the agent          the entry's buyer is a party
                    owed to the buyer party
tier                ``tier`` probation | suspended, ``days`` 1–90 (default 30)      probation: a critical or
                                                                                    major clause, or one whose
                                                                                    pact says downgrade;
                                                                                    suspended: critical only
==================  ==============================================================  ==========================

A rejected claim applies nothing. A buyer's claim upheld (in full or in part) also weighs against the agent's
score: a penalty of the clause's severity weight (critical 4, major 2, minor 1; 1 without a clause), halved
for a partial upholding, decayed like all evidence (``trustcore.score``); in full on a critical clause it caps
the tier at probation for 30 days (DESIGN.md: an upheld critical dispute downgrades at once).

An appeal ruling supersedes the first (which stays as it was written): the first one's penalty, cap and
override end because only rulings nobody superseded are in effect, the credits it created are cancelled, and the appeal ruling's own apply. ``ruling_apply`` claims ``applied_at`` with a conditional
UPDATE, so running it twice (a retried task) changes nothing the second time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import require
from disputes import notify
from disputes.errors import DisputeInvalid, TransitionRefused
from disputes.models import Dispute, Outcome, Ruling, Status
from disputes.workflow import move, text
from pacts.models import PactClause
from reputation.ledger import ledger_credit_from_ruling, ledger_entry_cancel, service_credit_percent
from reputation.models import LedgerEntry, SourceType
from reputation.services import caused_by
from trustcore.score import SEVERITY_WEIGHTS

RATIONALE_MIN = 100
DEFAULT_EFFECT_DAYS = 30
ACTIONS = ("verdict_override", "service_credit", "cancel_credit", "tier")


def clause_of(dispute: Dispute) -> PactClause | None:
    if not dispute.clause_id:
        return None
    return PactClause.objects.filter(version_id=dispute.pact_version_id, clause_id=dispute.clause_id).first()


def buyer_party(dispute: Dispute) -> Organization | None:
    if dispute.claimant.kind == Organization.Kind.BUYER:
        return dispute.claimant
    return dispute.respondent if dispute.respondent.kind == Organization.Kind.BUYER else None


def allowed(dispute: Dispute) -> dict[str, Any]:
    """What a ruling on this dispute may apply (the form offers exactly this)."""
    clause = clause_of(dispute)
    severity = clause.severity if clause else ""
    buyer = buyer_party(dispute)
    on_breach = clause.on_breach if clause else []
    says_downgrade = any(
        (isinstance(a, dict) and a.get("action") == "downgrade") or a == "downgrade" for a in on_breach or []
    )
    tiers = []
    if severity in ("critical", "major") or says_downgrade:
        tiers.append("probation")
    if severity == "critical":
        tiers.append("suspended")
    entries = (
        list(
            LedgerEntry.objects.filter(
                agent_id=dispute.agent_id,
                buyer=buyer,
                status__in=[LedgerEntry.Status.PENDING_CURE, LedgerEntry.Status.OWED],
            ).order_by("-created_at")[:50]
        )
        if buyer
        else []
    )
    return {
        "clause": clause,
        "severity": severity,
        "verdict_override": bool(dispute.clause_id),
        "credit_percent": service_credit_percent(on_breach) if buyer else None,
        "tiers": tiers,
        "entries": entries,
    }


def _days(item: dict[str, Any], field: str) -> int:
    days = item.get("days", DEFAULT_EFFECT_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        raise DisputeInvalid(f"{field}.days", "A whole number of days from 1 to 90.", "out_of_range")
    return days


def consequences_clean(dispute: Dispute, outcome: str, raw: Any) -> list[dict[str, Any]]:
    """The consequences, normalised, or a 400 naming the item and field at fault."""
    if raw in (None, ""):
        raw = []
    if not isinstance(raw, list):
        raise DisputeInvalid("consequences", "Expected a list of consequences.", "invalid_type")
    if outcome == Outcome.REJECTED and raw:
        raise DisputeInvalid("consequences", "A rejected claim applies no consequences.", "not_allowed")
    if len(raw) > 10:
        raise DisputeInvalid("consequences", "At most 10 consequences.", "too_many")
    may = allowed(dispute)
    cleaned: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for index, item in enumerate(raw):
        field = f"consequences.{index}"
        if not isinstance(item, dict):
            raise DisputeInvalid(field, "Expected an object with an action.", "invalid_type")
        action = item.get("action")
        if action not in ACTIONS:
            raise DisputeInvalid(f"{field}.action", f"Expected one of {', '.join(ACTIONS)}.", "invalid_choice")
        key: Any = action
        if action == "verdict_override":
            if not may["verdict_override"]:
                raise DisputeInvalid(
                    f"{field}.action", "This dispute names no clause whose verdict to override.", "not_allowed"
                )
            if item.get("status") not in ("breached", "met"):
                raise DisputeInvalid(f"{field}.status", "Expected breached or met.", "invalid_choice")
            cleaned.append({"action": action, "status": item["status"], "days": _days(item, field)})
        elif action == "service_credit":
            limit = may["credit_percent"]
            if limit is None:
                raise DisputeInvalid(
                    f"{field}.action", "The pact names no service credit for this clause.", "not_allowed"
                )
            try:
                percent = Decimal(str(item.get("percent")))
            except (InvalidOperation, ValueError):
                raise DisputeInvalid(f"{field}.percent", "Expected a number.", "invalid") from None
            if isinstance(item.get("percent"), bool) or not percent.is_finite() or not 0 < percent <= limit:
                raise DisputeInvalid(
                    f"{field}.percent", f"More than 0 and at most the pact's {limit:g} %.", "out_of_range"
                )
            cleaned.append({"action": action, "percent": float(percent.quantize(Decimal("0.001")))})
        elif action == "cancel_credit":
            entry = item.get("entry")
            ids = {e.pk for e in may["entries"]}
            if isinstance(entry, bool) or not isinstance(entry, int) or entry not in ids:
                raise DisputeInvalid(
                    f"{field}.entry", "Not a pending or owed credit of this agent to the buyer party.", "not_allowed"
                )
            key = (action, entry)
            cleaned.append({"action": action, "entry": entry})
        else:
            if item.get("tier") not in may["tiers"]:
                offered = ", ".join(may["tiers"]) or "none (a minor clause whose pact says no downgrade)"
                raise DisputeInvalid(f"{field}.tier", f"The pact allows: {offered}.", "not_allowed")
            cleaned.append({"action": action, "tier": item["tier"], "days": _days(item, field)})
        if key in seen:
            raise DisputeInvalid(f"{field}.action", "Each consequence once.", "duplicate")
        seen.add(key)
    return cleaned


def cites_clean(raw: Any, *, user: Any) -> list[Ruling]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > 20:
        raise DisputeInvalid("cites", "Expected a list of at most 20 ruling ids.", "invalid_type")
    ids = []
    for index, value in enumerate(raw):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise DisputeInvalid(f"cites.{index}", "Expected a ruling id.", "invalid")
        ids.append(value)
    found = {r.pk: r for r in Ruling.objects.restrict(user, "view").filter(pk__in=ids)}  # only what they may read
    for index, value in enumerate(ids):
        if value not in found:
            raise DisputeInvalid(f"cites.{index}", f"No ruling {value}.", "not_found")
    return [found[v] for v in ids]


def dispute_rule(
    *,
    user: User,
    dispute: Dispute,
    outcome: Any,
    rationale: Any,
    consequences: Any = None,
    cites: Any = None,
    now: datetime | None = None,
) -> Ruling:
    """under_review → ruled, or appealed → ruled_on_appeal: the ruling, applied in the same transaction."""
    now = now or timezone.now()
    require(user, "disputes.rule", dispute)
    if outcome not in Outcome.values:
        raise DisputeInvalid("outcome", f"Expected one of {', '.join(Outcome.values)}.", "invalid_choice")
    rationale = text(rationale, "rationale", minimum=RATIONALE_MIN)
    cleaned = consequences_clean(dispute, outcome, consequences)
    cited = cites_clean(cites, user=user)
    on_appeal = dispute.status == Status.APPEALED
    clause = clause_of(dispute)
    days = max([c.get("days", 0) for c in cleaned if c["action"] in ("tier", "verdict_override")] or [0])
    against = dispute.claimant.kind == Organization.Kind.BUYER and outcome != Outcome.REJECTED
    if against and outcome == Outcome.UPHELD and clause is not None and clause.severity == "critical":
        days = max(days, DEFAULT_EFFECT_DAYS)
    with transaction.atomic():
        dispute = move(
            dispute,
            actor=user,
            action="rule",
            sources=[Status.APPEALED] if on_appeal else [Status.UNDER_REVIEW],
            to=Status.RULED_ON_APPEAL if on_appeal else Status.RULED,
            now=now,
            due_by=now if on_appeal else now + timedelta(days=dispute.appeal_days),
            note=f"{Outcome(outcome).label}" + (" on appeal" if on_appeal else ""),
        )
        first = Ruling.objects.filter(dispute=dispute, stage=Ruling.Stage.FIRST).first() if on_appeal else None
        try:
            with transaction.atomic():
                ruling = Ruling.objects.create(
                    dispute=dispute,
                    stage=Ruling.Stage.APPEAL if on_appeal else Ruling.Stage.FIRST,
                    arbiter=user,
                    outcome=outcome,
                    rationale=rationale,
                    consequences=cleaned,
                    supersedes=first,
                    agent_id=dispute.agent_id,
                    clause_id=dispute.clause_id,
                    metric=dispute.metric,
                    severity=clause.severity if clause else "",
                    against_vendor=against,
                    effect_until=now + timedelta(days=days) if days else None,
                    created_at=now,
                )
        except IntegrityError as error:
            raise TransitionRefused("This stage of the dispute is already ruled.") from error
        ruling.cites.set(cited)
        ruling_apply(ruling_id=ruling.pk, now=now)
    return ruling


def ruling_apply(*, ruling_id: int, now: datetime | None = None) -> bool:
    """Apply a ruling's effects once: False when they were already applied (a retried task)."""
    from verdicts.evaluation import agent_evaluate

    now = now or timezone.now()
    with transaction.atomic():
        if Ruling.objects.filter(pk=ruling_id, applied_at__isnull=True).update(applied_at=now) != 1:
            return False
        ruling = Ruling.objects.select_related("dispute__claimant", "dispute__respondent", "dispute__agent").get(
            pk=ruling_id
        )
        dispute = ruling.dispute
        if ruling.supersedes_id is not None:
            for entry in LedgerEntry.objects.filter(
                ruling_id=ruling.supersedes_id,
                status__in=[LedgerEntry.Status.PENDING_CURE, LedgerEntry.Status.OWED],
            ):
                ledger_entry_cancel(
                    user=None, entry=entry, note=f"superseded by ruling #{ruling.pk} on appeal", now=now
                )
        buyer = buyer_party(dispute)
        for item in ruling.consequences:
            if item["action"] == "service_credit" and buyer is not None:
                ledger_credit_from_ruling(
                    agent=dispute.agent,
                    buyer=buyer,
                    clause_id=dispute.clause_id,
                    verdict=dispute.verdict,
                    percent=Decimal(str(item["percent"])),
                    ruling_id=ruling.pk,
                    note=f"ruling #{ruling.pk} on dispute #{dispute.pk}",
                    now=now,
                )
            elif item["action"] == "cancel_credit":
                entry = LedgerEntry.objects.get(pk=item["entry"])
                if entry.status in (LedgerEntry.Status.PENDING_CURE, LedgerEntry.Status.OWED):
                    ledger_entry_cancel(
                        user=None, entry=entry, note=f"ruling #{ruling.pk} on dispute #{dispute.pk}", now=now
                    )
        reason = f"ruling #{ruling.pk}: {dispute.clause_id or 'dispute'} {ruling.get_outcome_display().lower()}"
        with caused_by(SourceType.RULING, ruling.pk, reason):
            agent_evaluate(agent_id=dispute.agent_id, now=now)
        notify.dispute_ruled(dispute, ruling)
    return True


# --- what the reputation and verdicts apps ask (registered in disputes.apps) ------------------------------------


def _effective(agent_id: int) -> Any:
    return Ruling.objects.filter(agent_id=agent_id, superseded_by__isnull=True, applied_at__isnull=False)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ruling_penalties(agent_id: int, since: datetime, now: datetime) -> list[list[Any]]:
    """``[at, weight, source]`` for each effective ruling upholding a buyer's claim (score inputs)."""
    out: list[list[Any]] = []
    for pk, at, severity, outcome in (
        _effective(agent_id)
        .filter(against_vendor=True, created_at__gte=since, created_at__lte=now)
        .order_by("created_at", "pk")
        .values_list("pk", "created_at", "severity", "outcome")
    ):
        weight = SEVERITY_WEIGHTS.get(severity, 1.0) * (0.5 if outcome == Outcome.PARTIALLY_UPHELD else 1.0)
        out.append([_iso(at), weight, {"type": "ruling", "id": pk}])
    return out


def ruling_caps(agent_id: int, now: datetime) -> list[tuple[str, str]]:
    """``(tier, reason)`` for each effective ruling capping the agent's tier now."""
    caps: list[tuple[str, str]] = []
    for ruling in _effective(agent_id).filter(effect_until__gt=now).order_by("created_at"):
        explicit = [c["tier"] for c in ruling.consequences if c["action"] == "tier"]
        if explicit:
            caps.extend((tier, f"ruling #{ruling.pk} caps the tier at {tier}") for tier in explicit)
        elif ruling.against_vendor and ruling.outcome == Outcome.UPHELD and ruling.severity == "critical":
            caps.append(("probation", f"an upheld critical ruling (#{ruling.pk})"))
    return caps


def ruling_overrides(agent_id: int, now: datetime) -> dict[tuple[int, str], tuple[str, str]]:
    """``{(pact, clause): (status, note)}`` for each effective ruling overriding a verdict now."""
    found: dict[tuple[int, str], tuple[str, str]] = {}
    for ruling in (
        _effective(agent_id)
        .filter(effect_until__gt=now)
        .filter(~Q(clause_id=""))
        .select_related("dispute")
        .order_by("created_at")
    ):
        for item in ruling.consequences:
            if item["action"] == "verdict_override" and ruling.dispute.pact_id is not None:
                until = ruling.created_at + timedelta(days=item["days"])
                if until > now:
                    found[(ruling.dispute.pact_id, ruling.clause_id)] = (
                        item["status"],
                        f"overridden by ruling #{ruling.pk} until {until:%Y-%m-%d}",
                    )
    return found
