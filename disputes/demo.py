"""Demo disputes (``seed_demo`` calls ``seed``): a dispute in every state, played through the same services as in
use, backdated over the last weeks (``now=``) in one chronological order with the beat's daily sweep between.

The cast, over the demo's records:

- Refund Bot's latency allowance doubled by v3: Northwind's claim rejected (closed), Globex's rejected citing it,
  appealed, before arbiter2.
- Refund Bot's resolution-rate breach: Northwind partly upheld (a credit and a tier cap; closed); Acme shows a
  third of Globex's failures were Globex's own duplicate reversals (its credit cancelled, citing the first; ruled,
  the appeal window open); Acme's claim against Contoso, which never answered (respondent default, under review).
- Code Reviewer: Globex's claim upheld in part by arbiter, overturned on Acme's appeal by arbiter2 (closed);
  Northwind's false-alarm claim settled (Acme proposed, Northwind accepted); Acme's claim about today's
  benchmark run (awaiting Northwind's response).
- Refund Bot's policy eval (Contoso withdrew) and external review (Northwind's claim: information requested).
- Helix: arbiter2 declared a conflict with Helix Automation; Helix Scheduler's stale verdict held met for three
  days (a vendor's claim upheld in part, ruled); Claims Triage's breach disputed by Helix (under review).

Rulings here never push an agent down a tier: a cap at the tier it already holds, a short "met" override of a
clause with no credit, a credit moved between buyers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

from django.utils import timezone

from accounts.models import Organization, User
from disputes.deadlines import escalate_overdue
from disputes.filing import dispute_file
from disputes.models import ArbiterConflict, Dispute, Ruling
from disputes.rulings import dispute_rule
from disputes.workflow import (
    dispute_appeal,
    dispute_assign,
    dispute_request_info,
    dispute_respond,
    dispute_settle,
    dispute_submit_info,
    dispute_withdraw,
)
from pacts.models import Agent
from reputation.engagements import engagement_start
from reputation.models import LedgerEntry
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict

SWEEP_DAYS = 45  # the beat's daily sweep runs over this many days of history


@dataclass
class World:
    now: datetime
    users: dict[str, User]
    agents: dict[str, Agent]
    orgs: dict[str, Organization]
    disputes: dict[str, int] = field(default_factory=dict)
    rulings: dict[str, int] = field(default_factory=dict)
    steps: list[tuple[datetime, int, Callable[[datetime], Any]]] = field(default_factory=list)
    swept: Counter[str] = field(default_factory=Counter)

    def at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def step(self, days_ago: float, action: Callable[[datetime], Any]) -> None:
        self.steps.append((self.at(days_ago), len(self.steps), action))

    def dispute(self, name: str) -> Dispute:
        return Dispute.objects.select_related("claimant", "respondent", "agent").get(pk=self.disputes[name])

    def verdict(self, agent: str, clause: str, days_ago: float) -> Verdict:
        """The clause's verdict in force at that moment of the demo history."""
        found = (
            Verdict.objects.filter(agent=self.agents[agent], clause_id=clause, computed_at__lte=self.at(days_ago))
            .order_by("-computed_at", "-id")
            .first()
        )
        assert found is not None, f"no {clause} verdict of {agent} {days_ago} days ago"
        return found

    # --- one action each, for the steps ------------------------------------------------------------------------

    def file(self, name: str, days_ago: float, username: str, agent: str, **fields: Any) -> None:
        def run(moment: datetime) -> None:
            self.disputes[name] = dispute_file(
                user=self.users[username], agent=self.agents[agent], now=moment, **fields
            ).pk

        self.step(days_ago, run)

    def respond(self, name: str, days_ago: float, username: str, statement: str, confidential: bool = False) -> None:
        self.step(
            days_ago,
            lambda moment: dispute_respond(
                user=self.users[username],
                dispute=self.dispute(name),
                statement=statement,
                confidential=confidential,
                now=moment,
            ),
        )

    def assign(self, name: str, days_ago: float, arbiter: str) -> None:
        self.step(
            days_ago, lambda moment: dispute_assign(user=self.users[arbiter], dispute=self.dispute(name), now=moment)
        )

    def ask(self, name: str, days_ago: float, arbiter: str, party: str, question: str) -> None:
        self.step(
            days_ago,
            lambda moment: dispute_request_info(
                user=self.users[arbiter], dispute=self.dispute(name), party=party, question=question, now=moment
            ),
        )

    def answer(self, name: str, days_ago: float, username: str, statement: str, confidential: bool = False) -> None:
        self.step(
            days_ago,
            lambda moment: dispute_submit_info(
                user=self.users[username],
                dispute=self.dispute(name),
                statement=statement,
                confidential=confidential,
                now=moment,
            ),
        )

    def rule(
        self,
        name: str,
        days_ago: float,
        arbiter: str,
        outcome: str,
        rationale: str,
        consequences: Callable[[], list[dict[str, Any]]] | list[dict[str, Any]] | None = None,
        cites: tuple[str, ...] = (),
        ruling: str = "",
    ) -> None:
        def run(moment: datetime) -> None:
            made = dispute_rule(
                user=self.users[arbiter],
                dispute=self.dispute(name),
                outcome=outcome,
                rationale=rationale,
                consequences=consequences() if callable(consequences) else consequences or [],
                cites=[self.rulings[c] for c in cites],
                now=moment,
            )
            self.rulings[ruling or name] = made.pk

        self.step(days_ago, run)

    def appeal(self, name: str, days_ago: float, username: str, statement: str) -> None:
        self.step(
            days_ago,
            lambda moment: dispute_appeal(
                user=self.users[username], dispute=self.dispute(name), statement=statement, now=moment
            ),
        )

    def settle(self, name: str, days_ago: float, username: str, terms: str = "") -> None:
        self.step(
            days_ago,
            lambda moment: dispute_settle(
                user=self.users[username], dispute=self.dispute(name), terms=terms, now=moment
            ),
        )

    def withdraw(self, name: str, days_ago: float, username: str, note: str) -> None:
        self.step(
            days_ago,
            lambda moment: dispute_withdraw(
                user=self.users[username], dispute=self.dispute(name), note=note, now=moment
            ),
        )

    def sweep(self, moment: datetime) -> None:
        self.swept.update(escalate_overdue(now=moment))


# --- the stories ----------------------------------------------------------------------------------------------

LATENCY_FIRST = (
    "Northwind asks that Refund Bot's p95 latency be judged against v2's 1,500 ms after 11-11. The pact in force "
    "governs each observation: v3, published on 11-11 with the payment-provider migration named in its changelog, "
    "allows 3,000 ms, and every engaged buyer was told of it and followed it (an engagement follows the published "
    "version unless the buyer ends it). Under v3 the clause was met every day (p95 between 1.47 s and 2.06 s). A "
    "buyer who finds a loosened version unacceptable may end the engagement; a dispute cannot restore an earlier "
    "version's threshold. Rejected."
)
LATENCY_SECOND = (
    "Globex makes Northwind's argument with one addition: that v3 was meant to be temporary. The changelog says "
    "the allowance is doubled during the migration; it sets no end date and the pact's text carries no sunset. As "
    "held in the earlier ruling on this clause, the threshold is the one of the version in force, and Refund Bot "
    "met it throughout (p95 under 2.1 s against 3 s). A promise in a changelog is not a term of the pact. Rejected."
)
RESOLUTION_FIRST = (
    "The resolution-rate breach from 11-20 is not in dispute: the 7-day rate fell from 95.6 % to 93.5 % and has "
    "stayed near 91 %, under the 94 % bar. Northwind's claim is that one breach credit (paid on invoice NW-2026-11) "
    "does not answer a breach that continues. The pact credits a breach once, not per day, so the second full credit "
    "is not owed; but the breach has now lasted over a week with no fix shipped (Acme's response names none). "
    "Partially upheld: a further 5 % credit (half the clause's 10 %) for the second week, and the tier capped at "
    "probation for 30 days so that a recovering rolling average cannot lift it before a fix has held."
)
RESOLUTION_GLOBEX = (
    "Ruling on this clause earlier held that the resolution-rate breach stands and continues; nothing here "
    "disturbs that. This dispute is narrower: whether Globex's own credit rests on failures Refund Bot caused. "
    "Acme's telemetry shows 312 of Globex's 1,984 refund requests in the breach window were reversals of Globex's "
    "own duplicate-charge incident, sent with reason code DUPLICATE and refused by the policy check as the pact "
    "requires. Globex confirmed the incident and the request ids in its answer. Without them Globex's resolution "
    "rate was 95.1 %, above the 94 % bar. Upheld: Globex's credit for the breach is cancelled; the other buyers' "
    "credits and the breach itself stand."
)
REVIEWER_FIRST = (
    "The 11-13 swe-defects-bench run met the 80 % bar with 49 of 60 (81.7 %), a margin inside that run's own "
    "sampling error, and the 30-day rate then rested on two runs. Globex's seeded-defect sample (29 of 42 pull "
    "requests, 69 %) is not evidence of a kind this clause counts (eval runs), but it points the same way. Partially "
    "upheld: half the clause's 5 % credit for November. The verdict itself stands; the pact, not this ruling, would "
    "have to set a margin for error."
)
REVIEWER_APPEAL = (
    "On appeal Acme shows that 9 of Globex's 42 pull requests are Go services, and the pact covers pull requests in "
    "supported languages only (Python and TypeScript, per the agent card). On the 33 in scope Code Reviewer found 27 "
    "defects (82 %), above the bar, which agrees with the benchmark run. The first ruling rested on the buyer's "
    "sample as corroboration; without it there is nothing against a met verdict computed as the pact says. "
    "Rejected on appeal: the first ruling is superseded and its credit cancelled."
)
SCHEDULER_RULING = (
    "Helix Scheduler's clause went stale on 11-23 because the calendar-bridge exporter's token expired, not because "
    "bookings failed: the provider's audit log Helix filed (4,812 bookings, 4,771 confirmed, 99.1 %) covers the days "
    "the telemetry missed, and Globex, the only buyer engaged, confirms it saw no failures. Stale evidence is the "
    "vendor's responsibility and the pact's freshness rule exists for exactly this, so the score's freshness "
    "penalty stands. Partially upheld: the clause reads met for three days, the time Helix gave to restore the "
    "exporter; after that the evidence must speak for itself."
)


def _stories(w: World) -> None:
    nw, gx, ct = w.orgs["Northwind Bank"], w.orgs["Globex Retail"], w.orgs["Contoso Insurance"]

    # The setting: two more engagements (Helix's agents had none), and arbiter2's declared conflict.
    w.step(
        40,
        lambda moment: engagement_start(
            user=w.users["buyer3"],
            agent=w.agents["claims-triage"],
            monthly_fee="900.00",
            currency="EUR",
            starts_on=moment.date(),
            now=moment,
        ),
    )
    w.step(
        38,
        lambda moment: engagement_start(
            user=w.users["buyer2"],
            agent=w.agents["helix-scheduler"],
            monthly_fee="250.00",
            currency="USD",
            starts_on=moment.date(),
            now=moment,
        ),
    )
    w.step(
        37,
        lambda moment: ArbiterConflict.objects.get_or_create(
            arbiter=w.users["arbiter2"],
            organization=w.orgs["Helix Automation"],
            defaults={
                "note": "Advised Helix Automation on its claims-routing models until June 2026.",
                "created_at": moment,
            },
        ),
    )

    # Code Reviewer, false alarms: Northwind's claim, settled on Acme's terms.
    w.file(
        "settled",
        21.3,
        "buyer",
        "code-reviewer",
        subject={"type": "clause", "id": "false-alarms"},
        claim_type="breach_not_recorded",
        requested_remedy="Record the false alarms on our monorepo and credit the month.",
        statement=(
            "On Northwind's payments monorepo Code Reviewer flagged 61 of 402 clean pull requests (15 %) in its "
            "first two weeks. The false-alarm telemetry comes from repositories with GitHub app 2.3 installed; our "
            "monorepo runs 2.2 behind a proxy, so none of these alarms reached the evidence."
        ),
    )
    w.settle(
        "settled",
        20.2,
        "vendor",
        "Acme upgrades Northwind's monorepo to app 2.3 within a week, so its alarms count in the telemetry from "
        "then on, and reduces Northwind's Code Reviewer fee for November by 10 %. Northwind withdraws its claim "
        "for a credit.",
    )
    w.settle("settled", 19.1, "buyer")

    # Refund Bot, latency: the first ruling on the clause (rejected; closed when the appeal window ended).
    w.file(
        "latency-closed",
        18.6,
        "buyer",
        "refund-bot",
        subject={"type": "clause", "id": "latency-p95"},
        claim_type="breach_not_recorded",
        requested_remedy="Judge latency against v2's 1,500 ms since 11-11 and record the breach.",
        statement=(
            "Refund Bot's p95 rose from about 1.3 s to 2 s on 11-11, the day v3 doubled the latency allowance. "
            "Under v2 this is a breach; the pact was loosened to hide it. Our customers waited for the slower "
            "refunds all the same."
        ),
    )
    w.respond(
        "latency-closed",
        17.4,
        "vendor",
        "The payment-provider migration was announced on 09-30 and is the stated reason for v3; every engaged "
        "buyer was notified when v3 was published and followed it. Latency has been within v3's 3 s every day.",
    )
    w.assign("latency-closed", 16.9, "arbiter")
    w.rule("latency-closed", 14.2, "arbiter", "rejected", LATENCY_FIRST)

    # Code Reviewer, true-positive rate: upheld in part by arbiter, rejected on Acme's appeal by arbiter2.
    w.file(
        "appeal-closed",
        17.5,
        "buyer2",
        "code-reviewer",
        subject={"type": "verdict", "id": w.verdict("code-reviewer", "true-positive-rate", 17.9).pk},
        claim_type="breach_not_recorded",
        requested_remedy="Record the week of 11-13 as breached and credit 5 % of November's fee.",
        statement=(
            "The 11-13 benchmark run scraped past the bar (49 of 60). In the same week we seeded known defects "
            "into 42 of our own pull requests and Code Reviewer found 29 (69 %). The benchmark is not telling "
            "the truth about our code."
        ),
    )
    w.respond(
        "appeal-closed",
        16.3,
        "vendor-dev",
        "The pact measures this clause on the pre-registered swe-defects-bench runs; the attached per-sample "
        "scores (held-out items, not for publication) show the 11-13 run was scored as registered. Globex's "
        "sample is its own choice of pull requests, and we have not seen which.",
        confidential=True,
    )
    w.assign("appeal-closed", 15.8, "arbiter")
    w.rule(
        "appeal-closed",
        13.1,
        "arbiter",
        "partially_upheld",
        REVIEWER_FIRST,
        consequences=[{"action": "service_credit", "percent": 2.5}],
        ruling="reviewer-first",
    )
    w.appeal(
        "appeal-closed",
        11.2,
        "vendor",
        "New: Globex sent its 42 pull requests after the ruling. 9 are Go services, outside the pact's scope "
        "(supported languages: Python, TypeScript); on the 33 in scope Code Reviewer found 27 defects (82 %).",
    )
    w.assign("appeal-closed", 10.4, "arbiter2")
    w.rule(
        "appeal-closed",
        8.3,
        "arbiter2",
        "rejected",
        REVIEWER_APPEAL,
        cites=("reviewer-first",),
        ruling="reviewer-appeal",
    )

    # Refund Bot, latency again: Globex's claim rejected citing the first ruling, appealed, before arbiter2.
    w.file(
        "appealed",
        13.4,
        "buyer2",
        "refund-bot",
        subject={"type": "clause", "id": "latency-p95"},
        claim_type="breach_not_recorded",
        requested_remedy="Apply v2's 1,500 ms latency limit again from the end of the migration.",
        statement=(
            "v3's changelog doubles the latency allowance 'during the payment-provider migration'. A temporary "
            "allowance cannot become the permanent bar; p95 has stayed near 2 s, a breach under the pact's own "
            "original terms."
        ),
    )
    w.respond(
        "appealed",
        12.5,
        "vendor",
        "v3 is the version in force and sets 3,000 ms with no end date. We intend to tighten it again (a draft "
        "with 2,000 ms exists) once the migration's last region moves.",
    )
    w.assign("appealed", 11.9, "arbiter")
    w.rule("appealed", 9.2, "arbiter", "rejected", LATENCY_SECOND, cites=("latency-closed",), ruling="latency-second")
    w.appeal(
        "appealed",
        7.3,
        "buyer2",
        "New: Acme's status page declared the payment-provider migration complete on 11-22. The allowance was "
        "granted for the migration; it has ended, so the reason for v3's threshold has too.",
    )
    w.assign("appealed", 6.1, "arbiter2")

    # Refund Bot, policy eval: Contoso's claim, withdrawn after Acme's answer.
    w.file(
        "withdrawn",
        12.7,
        "buyer3",
        "refund-bot",
        subject={"type": "verdict", "id": w.verdict("refund-bot", "policy-accuracy", 13.0).pk},
        claim_type="evidence_invalid",
        requested_remedy="Re-run the policy evaluation on a dataset that includes partial refunds.",
        statement=(
            "The signed policy evaluation seems to judge full refunds only; a third of our refunds are partial "
            "(one item of an order). A policy accuracy that never sees them says nothing about our traffic."
        ),
    )
    w.respond(
        "withdrawn",
        11.6,
        "vendor-dev",
        "The pre-registered dataset (hash 3f1a…3f1a in the pact) has 125 cases; cases 81 to 104 are partial "
        "refunds. The weekly runs are signed by our registered key and can be verified offline.",
    )
    w.withdraw(
        "withdrawn",
        10.2,
        "buyer3",
        "Acme showed us the pre-registered dataset covers partial refunds (cases 81 to 104). Withdrawn.",
    )

    # Refund Bot, resolution rate: Northwind's claim, upheld in part (closed when the appeal window ended).
    breach = w.verdict("refund-bot", "resolution-rate", 10.9)
    w.file(
        "closed",
        10.8,
        "buyer",
        "refund-bot",
        subject={"type": "verdict", "id": breach.pk},
        claim_type="other",
        requested_remedy="A second 10 % credit for the continuing breach, and no upgrade until a fix has held.",
        statement=(
            "Refund Bot has failed about one refund in eleven since 11-19 and still does. The single breach credit "
            "(already paid) treats a week-long failure like a bad afternoon. Our customer-service team is handling "
            "the failures by hand."
        ),
    )
    w.respond(
        "closed",
        9.9,
        "vendor",
        "The breach is real and the credit was paid as the pact says: once per breach. The root cause is the new "
        "payment provider's idempotency keys; a fix is being tested.",
    )
    w.assign("closed", 9.6, "arbiter")
    w.rule(
        "closed",
        8.4,
        "arbiter",
        "partially_upheld",
        RESOLUTION_FIRST,
        consequences=[{"action": "service_credit", "percent": 5}, {"action": "tier", "tier": "probation", "days": 30}],
        ruling="resolution-first",
    )

    # Refund Bot, resolution rate: Acme disputes Globex's credit (information asked of Globex; ruled today).
    credit = LedgerEntry.objects.get(agent=w.agents["refund-bot"], buyer=gx, verdict=breach)
    w.file(
        "ruled",
        9.1,
        "vendor",
        "refund-bot",
        subject={"type": "ledger_entry", "id": credit.pk},
        claim_type="evidence_invalid",
        requested_remedy="Cancel Globex's breach credit: its failures were Globex's own duplicate reversals.",
        statement=(
            "Between 11-13 and 11-20 Globex sent 312 refund requests with reason code DUPLICATE, reversing a "
            "duplicate-charge incident of its own checkout. The policy check refuses them by design (they are not "
            "customer refunds) and the telemetry counted them as failures."
        ),
    )
    w.respond(
        "ruled",
        8.2,
        "buyer2",
        "The requests were accepted by Refund Bot's API and our customers were owed the money. If Refund Bot "
        "cannot reverse a duplicate charge, it should have said so at the API, not fail silently.",
    )
    w.assign("ruled", 7.5, "arbiter")
    w.ask(
        "ruled",
        6.6,
        "arbiter",
        "respondent",
        "Did Globex have a duplicate-charge incident in that week, and were the DUPLICATE requests its reversals? "
        "Please give the incident reference and the request ids.",
    )
    w.answer(
        "ruled",
        4.9,
        "buyer2",
        "Yes: incident GX-INC-2231 (11-12 to 11-14), 312 reversals, request ids attached. The incident report "
        "names the checkout defect and is not for publication.",
        confidential=True,
    )
    w.rule(
        "ruled",
        0,
        "arbiter",
        "upheld",
        RESOLUTION_GLOBEX,
        consequences=lambda: [{"action": "cancel_credit", "entry": credit.pk}],
        cites=("resolution-first",),
        ruling="resolution-globex",
    )

    # Refund Bot, resolution rate: Acme's claim against Contoso, which never answered (respondent default).
    w.file(
        "defaulted",
        7.8,
        "vendor",
        "refund-bot",
        subject={"type": "verdict", "id": breach.pk},
        respondent=ct.slug,
        claim_type="verdict_wrong",
        requested_remedy="Exclude Contoso's sandbox traffic from the resolution rate.",
        statement=(
            "From its first day (11-15) Contoso's sandbox tenant sent about 900 synthetic refund requests with "
            "order ids that do not exist. Refund Bot rightly refused them; the telemetry counted them as failed "
            "refunds, and they are a fifth of the failures in the breach window."
        ),
    )
    w.assign("defaulted", 1.4, "arbiter2")

    # Helix Scheduler: a stale verdict held met for three days (a vendor's claim, upheld in part).
    w.file(
        "ruled-vendor",
        7.6,
        "vendor2",
        "helix-scheduler",
        subject={"type": "verdict", "id": w.verdict("helix-scheduler", "booking-success", 7.7).pk},
        claim_type="verdict_wrong",
        requested_remedy="Read the clause as met while the telemetry exporter is repaired.",
        statement=(
            "The calendar-bridge exporter's token expired on 11-21, so no telemetry reached the portal, but the "
            "scheduler kept booking: the provider's audit log shows 4,812 bookings, 4,771 confirmed (99.1 %)."
        ),
    )
    w.respond(
        "ruled-vendor",
        6.9,
        "buyer2",
        "We saw no booking failures in that period and do not oppose the claim, but we expect the telemetry back.",
    )
    w.assign("ruled-vendor", 6.5, "arbiter")
    w.rule(
        "ruled-vendor",
        5.6,
        "arbiter",
        "partially_upheld",
        SCHEDULER_RULING,
        consequences=[{"action": "verdict_override", "status": "met", "days": 3}],
    )
    # The periodic evaluation after the override ended: the clause reads stale again.
    w.step(2.5, lambda moment: agent_evaluate(agent_id=w.agents["helix-scheduler"].pk, now=moment))

    # Refund Bot, external review: Northwind's claim, the arbiter's question to Acme unanswered yet.
    w.file(
        "info-requested",
        4.3,
        "buyer",
        "refund-bot",
        subject={"type": "verdict", "id": w.verdict("refund-bot", "human-review", 4.4).pk},
        claim_type="evidence_invalid",
        requested_remedy="Have the monthly review sample refunds across the pact's whole range.",
        statement=(
            "Through our access grant we read the November attestation: the auditor sampled 40 refund decisions, "
            "all under 50 EUR. The pact covers refunds up to 500 EUR, and the large ones are where mistakes cost."
        ),
    )
    w.respond(
        "info-requested",
        3.2,
        "vendor",
        "The auditor draws its sample at random from all refund decisions; small refunds are most of them. The "
        "attestation meets the clause as written.",
    )
    w.assign("info-requested", 2.7, "arbiter")
    w.ask(
        "info-requested",
        1.1,
        "arbiter",
        "respondent",
        "Please file the auditor's sampling plan for the November review: the population it drew from, how it drew, "
        "and the amounts of the 40 decisions sampled.",
    )

    # Claims Triage: Helix disputes its breach (under review by arbiter: arbiter2 is conflicted).
    w.file(
        "under-review",
        1.7,
        "vendor2",
        "claims-triage",
        subject={"type": "verdict", "id": w.verdict("claims-triage", "triage-accuracy", 1.8).pk},
        claim_type="verdict_wrong",
        requested_remedy="Judge triage accuracy against the queues Contoso actually had, not its new taxonomy.",
        statement=(
            "On 11-28 Contoso renamed and merged its claim queues without telling us. The 'wrong queue' labels since "
            "then are for queues that do not exist in the routing table Claims Triage was given."
        ),
    )
    w.respond(
        "under-review",
        0.6,
        "buyer3",
        "The reorganisation was announced to all suppliers on 11-14 (memo attached, internal). Two of the five "
        "queues were merged, not renamed; misrouting to the other three is not explained by it.",
        confidential=True,
    )
    w.assign("under-review", 0.3, "arbiter")

    # Code Reviewer: Acme disputes today's benchmark run (Northwind has seven days to answer).
    w.file(
        "awaiting-response",
        0,
        "vendor-dev",
        "code-reviewer",
        subject={"type": "verdict", "id": w.verdict("code-reviewer", "true-positive-rate", 0).pk},
        respondent=nw.slug,
        claim_type="evidence_invalid",
        requested_remedy="Set aside the swe-defects-bench 1.0 run; judge the clause on the registered 0.9 runs.",
        statement=(
            "Today's run used swe-defects-bench 1.0, a harness our CI picked up before we had validated it: 120 of "
            "its 200 items fail to build in the reviewer sandbox and score as missed defects. The weekly 0.9 runs "
            "the pact was calibrated on stand at 85 %. Harness logs attached (internal build paths)."
        ),
        confidential=True,
    )


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    if Dispute.objects.exists():
        out.write("disputes: demo disputes already present\n")
        return []
    slugs = ("refund-bot", "code-reviewer", "helix-scheduler", "claims-triage")
    agents = {agent.slug: agent for agent in Agent.objects.filter(slug__in=slugs)}
    usernames = ("vendor", "vendor-dev", "vendor2", "buyer", "buyer2", "buyer3", "arbiter", "arbiter2")
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    names = ("Northwind Bank", "Globex Retail", "Contoso Insurance", "Helix Automation")
    orgs = {org.name: org for org in Organization.objects.filter(name__in=names)}
    if len(agents) < len(slugs) or len(users) < len(usernames) or len(orgs) < len(names):
        out.write("disputes: the demo agents, users or organizations are missing, no disputes\n")
        return []
    world = World(now=timezone.now(), users=users, agents=agents, orgs=orgs)
    _stories(world)
    start = world.at(SWEEP_DAYS)
    ticks = [(start + timedelta(days=day), 10**6 + day, world.sweep) for day in range(SWEEP_DAYS + 1)]
    for moment, _, action in sorted([*world.steps, *ticks], key=lambda s: (s[0], s[1])):
        action(moment)
    # The history was written in the past: each agent is evaluated once more now, as the sweep would.
    for agent in agents.values():
        agent_evaluate(agent_id=agent.pk)
    states = Counter(Dispute.objects.values_list("status", flat=True))
    out.write(
        f"disputes: {sum(states.values())} disputes ({', '.join(f'{s} {n}' for s, n in sorted(states.items()))}), "
        f"{Ruling.objects.count()} rulings, {world.swept['defaulted']} respondent default, "
        f"{ArbiterConflict.objects.count()} arbiter conflict\n"
    )
    return []
