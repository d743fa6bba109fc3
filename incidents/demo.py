"""Demo incidents (``seed_demo`` calls ``seed``): eight incidents over the demo's history, played through the
services backdated with ``now=``, with postmortems across every structural weakness.

- Refund Bot, 62 days ago: refunds approved against outdated policy rules (stale evidence; closed, public). Its
  remediation **changed the pact**: policy accuracy judged on signed eval runs only, linked to v2 (published two
  days after the failure became visible).
- Refund Bot, 24 days ago: replies timing out on the payment-provider fallback path (unguarded exception path;
  closed); the monthly external review became a clause: linked to v3.
- Refund Bot, 6 days ago: opened by Northwind from the resolution-rate ruling: support staff had been re-doing
  failed refunds by hand (hidden rescue work; closed). Its remediations **only changed the story**: a briefing,
  and a downgrade path promised for a version not yet published (claimed, not linked).
- Refund Bot, 9 days ago: policy checks on last quarter's rules again — a **repeat** of the first (same agent, same
  weakness, within 90 days; analysing).
- Helix Scheduler (weak ownership: the overdue re-review nobody owned; closed, public), Claims Triage (threshold
  too loose; analysing), Doc Summarizer (missing downgrade path; closed), and Globex's fresh Code Reviewer report
  (open, no postmortem yet).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TextIO

from django.utils import timezone

from accounts.models import User
from disputes.models import Ruling
from incidents import demo_warning, services
from incidents.models import Incident
from pacts.models import Agent


def _at(now: datetime, days_ago: float) -> datetime:
    return now - timedelta(days=days_ago)


def _story(
    users: dict[str, User],
    agents: dict[str, Agent],
    now: datetime,
    *,
    agent: str,
    reporter: str,
    analyst: str,
    closer: str | None,
    days_ago: float,
    postmortem: dict[str, Any] | None,
    public: bool = False,
    notes: tuple[tuple[float, str, str], ...] = (),
    **fields: Any,
) -> Incident:
    visible = _at(now, days_ago)
    incident = services.incident_create(
        user=users[reporter], agent=agents[agent], visible_at=visible, now=visible + timedelta(hours=3), **fields
    )
    for hours, author, body in notes:
        services.note_add(
            user=users[author],
            incident=incident,
            body=body,
            at=visible + timedelta(hours=hours),
            now=min(visible + timedelta(hours=max(hours, 0) + 4), now),
        )
        incident.refresh_from_db()
    if postmortem is not None:
        written = min(visible + timedelta(days=1), now)
        services.postmortem_write(user=users[analyst], incident=incident, now=written, **postmortem)
        incident.refresh_from_db()
        if closer:
            services.incident_close(user=users[closer], incident=incident, now=min(visible + timedelta(days=2), now))
            incident.refresh_from_db()
    if public:
        services.incident_set_public(
            user=users["vendor" if agents[agent].organization.name == "Acme Agents" else "vendor2"],
            incident=incident,
            public=True,
            now=min(visible + timedelta(days=3), now),
        )
    return incident


def _due(now: datetime, days: int) -> str:
    return (now + timedelta(days=days)).date().isoformat()


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    if Incident.objects.exists():
        out.write("incidents: demo incidents already present\n")
        return []
    slugs = ("refund-bot", "code-reviewer", "helix-scheduler", "claims-triage", "doc-summarizer")
    agents = {a.slug: a for a in Agent.objects.select_related("organization").filter(slug__in=slugs)}
    usernames = ("vendor", "vendor-dev", "vendor2", "buyer", "buyer2", "operator")
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    if len(agents) < len(slugs) or len(users) < len(usernames):
        out.write("incidents: the demo agents or users are missing, no incidents\n")
        return []
    now = timezone.now()
    story = lambda **kw: _story(users, agents, now, **kw)  # noqa: E731

    story(
        agent="refund-bot",
        reporter="vendor",
        analyst="vendor-dev",
        closer="vendor",
        days_ago=62,
        public=True,
        title="Refunds approved against outdated policy rules",
        severity="major",
        clauses=["policy-accuracy"],
        detected_by="a Northwind auditor's sample of approved refunds",
        postmortem={
            "summary": "For a month Refund Bot approved refunds under the previous quarter's policy table.",
            "impact": "212 refunds approved that the current policy denies (about 18,000 EUR).",
            "broken_assumption": "An eval run we uploaded ourselves showed the policy the agent runs in production.",
            "structural_weakness": "stale_evidence",
            "contributing_factors": "The eval harness pinned the policy table; nobody re-ran it after the change.",
            "remediations": [
                {
                    "title": "Judge policy accuracy on signed eval runs only, pre-registered per policy version",
                    "owner": "evals team",
                    "due_on": _due(now, -55),
                    "done": True,
                    "operating_model_change": True,
                    "change_kind": "evidence_artifact",
                    "pact_version": 2,
                },
            ],
        },
    )
    story(
        agent="refund-bot",
        reporter="vendor",
        analyst="vendor",
        closer="vendor",
        days_ago=24,
        title="Refund replies timing out on the payment-provider fallback",
        severity="major",
        clauses=["latency-p95"],
        detected_by="the payment provider's status page",
        postmortem={
            "summary": "During the provider migration the fallback path retried synchronously for up to 40 s.",
            "broken_assumption": "The fallback path was exercised by the same tests as the main path.",
            "structural_weakness": "unguarded_exception_path",
            "remediations": [
                {
                    "title": "A monthly external review of refund decisions becomes a clause (human-review)",
                    "owner": "compliance",
                    "due_on": _due(now, -18),
                    "done": True,
                    "operating_model_change": True,
                    "change_kind": "ownership_boundary",
                    "pact_version": 3,
                },
                {"title": "Load-test the fallback path in CI", "owner": "platform team", "due_on": _due(now, 10)},
            ],
        },
    )
    first_stale = Incident.objects.get(title="Refunds approved against outdated policy rules")
    ruling = (
        Ruling.objects.filter(agent=agents["refund-bot"], clause_id="resolution-rate").order_by("created_at").first()
    )
    origin: dict[str, Any] = {}
    if ruling is not None and ruling.dispute.claimant.name == "Northwind Bank":
        origin = {"origin": ("ruling", ruling.pk), "disputes": [ruling.dispute_id], "rulings": [ruling.pk]}
    story(
        agent="refund-bot",
        reporter="buyer",
        analyst="vendor-dev",
        closer="vendor",
        days_ago=6,
        title="Failed refunds re-done by hand at Northwind's support desk",
        severity="critical",
        clauses=["resolution-rate"],
        detected_by="Northwind's support desk (complaint volume)",
        **origin,
        notes=(
            (-20, "buyer", "Our desk started re-issuing refunds manually; nobody flagged it as a failure."),
            (30, "vendor-dev", "Confirmed: 31 % of refunds in the window needed a human to finish them."),
        ),
        postmortem={
            "summary": "Refunds that failed at the provider were finished by Northwind's staff, so the agent's "
            "success rate looked fine to everyone but the desk.",
            "impact": "Five days of manual work at Northwind; a breach recorded late.",
            "broken_assumption": "A refund the agent marked done needed no human to reach the customer.",
            "structural_weakness": "hidden_rescue_work",
            "remediations": [
                {
                    "title": "Brief the support teams of engaged buyers to report manual re-issues",
                    "owner": "customer success",
                    "due_on": _due(now, 7),
                },
                {
                    "title": "Downgrade on the manual re-issue rate (planned for pact v4)",
                    "owner": "vendor",
                    "due_on": _due(now, 30),
                    "operating_model_change": True,
                    "change_kind": "downgrade_path",
                },
            ],
        },
    )
    story(
        agent="refund-bot",
        reporter="vendor-dev",
        analyst="vendor-dev",
        closer=None,
        days_ago=9,
        title="Policy checks ran on last quarter's refund rules again",
        severity="major",
        clauses=["policy-accuracy"],
        detected_by="the signed eval run of the new quarter",
        postmortem={
            "summary": f"The quarter's policy table changed again and the eval harness kept the old one (as in "
            f"incident #{first_stale.pk}).",
            "broken_assumption": "Signing the eval runs made them current.",
            "structural_weakness": "stale_evidence",
            "remediations": [
                {
                    "title": "Fail the eval run when its policy table is older than the one in production",
                    "owner": "evals team",
                    "due_on": _due(now, 14),
                },
            ],
        },
    )
    story(
        agent="helix-scheduler",
        reporter="vendor2",
        analyst="vendor2",
        closer="vendor2",
        days_ago=7,
        public=True,
        title="Meetings double-booked after the calendar API change",
        severity="minor",
        clauses=["booking-success"],
        detected_by="customer e-mails",
        postmortem={
            "summary": "The calendar provider changed its free/busy API; bookings raced each other for a week.",
            "broken_assumption": "Someone reviews the pact when the agent's dependencies change.",
            "structural_weakness": "weak_ownership",
            "remediations": [
                {
                    "title": "Name an owner for the scheduler pact's review",
                    "owner": "vendor2",
                    "due_on": _due(now, 3),
                    "done": True,
                },
            ],
        },
    )
    story(
        agent="claims-triage",
        reporter="vendor2",
        analyst="vendor2",
        closer=None,
        days_ago=1.5,
        title="High-value claims routed to merged queues",
        severity="critical",
        clauses=["triage-accuracy"],
        detected_by="Contoso's claims handlers",
        postmortem={
            "summary": "After Contoso merged two queues, one claim in eight landed in a queue that no longer exists.",
            "broken_assumption": "Nine routings in ten right is good enough for every claim.",
            "structural_weakness": "threshold_too_loose",
            "remediations": [
                {
                    "title": "A separate, stricter clause for claims above 10,000 EUR",
                    "owner": "vendor2",
                    "due_on": _due(now, 21),
                    "operating_model_change": True,
                    "change_kind": "threshold",
                },
            ],
        },
    )
    story(
        agent="doc-summarizer",
        reporter="vendor",
        analyst="vendor",
        closer="vendor",
        days_ago=3.5,
        title="A summary invented a termination clause",
        severity="major",
        clauses=["summary-faithful"],
        detected_by="a lawyer reading the original",
        postmortem={
            "summary": "A contract summary stated a termination right the contract does not contain.",
            "broken_assumption": "A breach of faithfulness would at least downgrade the agent.",
            "structural_weakness": "missing_downgrade_path",
            "remediations": [
                {
                    "title": "Runbook: pull the summarizer from legal workflows by hand",
                    "owner": "vendor",
                    "due_on": _due(now, 2),
                },
            ],
        },
    )
    story(
        agent="code-reviewer",
        reporter="buyer2",
        analyst="vendor",
        closer=None,
        days_ago=0.1,
        postmortem=None,
        title="Security regressions merged without a flag",
        severity="major",
        clauses=["true-positive-rate"],
        detected_by="Globex's own security scan",
    )
    states: dict[str, int] = {}
    for status in Incident.objects.values_list("status", flat=True):
        states[status] = states.get(status, 0) + 1
    out.write(
        f"incidents: {sum(states.values())} incidents ({', '.join(f'{s} {n}' for s, n in sorted(states.items()))}), "
        "postmortems across every structural weakness, one repeat\n"
    )
    return demo_warning.seed(out)  # an early warning nine days before a breach, and a finished replay
