"""Demo engagements and a consequence ledger with entries in every state, built by the same services as in use.

Northwind Bank, Globex Retail and Contoso Insurance engage Refund Bot (Contoso from the middle of the month, so its
credit is pro rata); Northwind and Globex engage Code Reviewer. The engagements started under the pact version then
in force and followed later ones. Refund Bot's resolution-rate breach in the demo history earns each Refund Bot
engagement a credit (its cure period is over: owed; then Northwind's is paid, Contoso's cancelled by a ruling); a
fresh Code Reviewer evaluation breach earns two more (pending cure; Globex's waived by the vendor).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TextIO

from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.services import member_create, organization_get_or_create
from evidence import services as evidence_services
from pacts.models import Agent, PactVersion
from reputation.engagements import engagement_start, engagements_follow
from reputation.ledger import (
    ledger_cure_sweep,
    ledger_entries_for_breach,
    ledger_entry_cancel,
    ledger_entry_pay,
    ledger_entry_waive,
)
from reputation.models import Engagement, LedgerEntry
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict

DEMO_PASSWORD = "trust-demo-2026"
CONTOSO = ("buyer3", "Contoso Insurance")


def _owner_of(name: str) -> User:
    return User.objects.get(membership__organization__name=name, membership__role=Membership.Role.OWNER)


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    if Engagement.objects.filter(agent__slug="refund-bot", buyer__name="Northwind Bank").exists():
        out.write("reputation: demo engagements and ledger already present\n")
        return []
    refund_bot = Agent.objects.filter(slug="refund-bot").first()
    reviewer = Agent.objects.filter(slug="code-reviewer").first()
    if refund_bot is None or reviewer is None:
        out.write("reputation: no demo agents, no engagements\n")
        return []
    now = timezone.now()
    username, org_name = CONTOSO
    contoso, _ = organization_get_or_create(name=org_name, kind=Organization.Kind.BUYER)
    if not User.objects.filter(username=username).exists():
        member_create(
            username=username,
            password=DEMO_PASSWORD,
            organization=contoso,
            role=Membership.Role.OWNER,
            email=f"{username}@example.com",
        )
    northwind, globex, contoso_owner = _owner_of("Northwind Bank"), _owner_of("Globex Retail"), _owner_of(org_name)
    vendor = User.objects.get(username="vendor")
    operator = User.objects.filter(is_staff=True).order_by("pk").first()

    breach = (
        Verdict.objects.filter(agent=refund_bot, clause_id="resolution-rate", status=Verdict.Status.BREACHED)
        .order_by("computed_at", "id")
        .first()
    )
    breach_day = (breach.computed_at if breach else now - timedelta(days=11)).astimezone(UTC).date()
    started = now - timedelta(days=60)
    plans = [
        (northwind, refund_bot, "1200.00", "EUR", started.date()),
        (globex, refund_bot, "1500.00", "USD", started.date()),
        (contoso_owner, refund_bot, "800.00", "EUR", max(breach_day.replace(day=1), breach_day - timedelta(days=5))),
        (northwind, reviewer, "400.00", "USD", started.date()),
        (globex, reviewer, "600.00", "EUR", started.date()),
    ]
    engagements = {}
    for user, agent, fee, currency, starts_on in plans:
        first_in_force = (
            PactVersion.objects.filter(pact__agent=agent, effective_from__isnull=False)
            .order_by("effective_from")
            .values_list("effective_from", flat=True)
            .first()
        )
        if first_in_force is not None:  # not before the agent had a pact in force
            starts_on = max(starts_on, first_in_force.astimezone(UTC).date() + timedelta(days=1))
        moment = min(now, datetime.combine(starts_on, time(9), tzinfo=UTC))
        engagements[(user.pk, agent.slug)] = engagement_start(
            user=user, agent=agent, monthly_fee=fee, currency=currency, starts_on=starts_on, now=moment
        )
    # They started under the version then in force; later publications moved them (and told each buyer).
    for version in PactVersion.objects.filter(
        pact__agent__in=[refund_bot, reviewer], status__in=["published", "superseded"]
    ).order_by("published_at"):
        if version.published_at and version.published_at > started:
            engagements_follow(version=version)

    # Refund Bot's breach in the demo history, as the evaluation would have credited it then.
    for verdict in Verdict.objects.filter(agent=refund_bot, status=Verdict.Status.BREACHED).order_by("computed_at"):
        ledger_entries_for_breach(verdict=verdict)
    ledger_cure_sweep(now=now)
    for entry in LedgerEntry.objects.filter(agent=refund_bot, status=LedgerEntry.Status.OWED).select_related("buyer"):
        if entry.buyer.name == "Northwind Bank":
            ledger_entry_pay(user=vendor, entry=entry, note="Credited on invoice NW-2026-11.")
        elif entry.buyer.name == org_name and operator is not None:
            ledger_entry_cancel(
                user=operator,
                entry=entry,
                note="Cancelled by ruling: the failed refunds came from Contoso's own payment gateway outage.",
            )

    # A fresh defect-detection run of Code Reviewer falls below its bar: a breach, credits pending cure.
    end = now - timedelta(minutes=30)
    evidence_services.evidence_submit(
        agent=reviewer,
        items=[
            {
                "kind": "eval_run",
                "metric": "defect_detected",
                "successes": 80,
                "trials": 200,
                "observed_from": (end - timedelta(hours=6)).isoformat(),
                "observed_to": end.isoformat(),
                "source": {"tool": "swe-defects-bench", "version": "1.0"},
            }
        ],
        user=vendor,
    )
    agent_evaluate(agent_id=reviewer.pk, now=now)
    for entry in LedgerEntry.objects.filter(agent=reviewer, status=LedgerEntry.Status.PENDING_CURE).select_related(
        "buyer"
    ):
        if entry.buyer.name == "Globex Retail":
            ledger_entry_waive(
                user=vendor, entry=entry, note="Globex is in its pilot month: credits waived by agreement."
            )
    states = sorted(set(LedgerEntry.objects.values_list("status", flat=True)))
    out.write(
        f"reputation: {len(engagements)} engagements, {LedgerEntry.objects.count()} ledger entries "
        f"({', '.join(states)})\n"
    )
    return [(username, DEMO_PASSWORD, f"buyer owner, {org_name} (engages Refund Bot)")]
