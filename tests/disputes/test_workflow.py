"""The life of a dispute through the service functions: each step, who may take it, and its effects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from disputes import workflow
from disputes.errors import DuplicateDispute, NoStanding, TransitionRefused
from disputes.models import Dispute, DisputeEvent, Status, Submission
from disputes.rulings import dispute_rule, ruling_apply
from reputation.models import LedgerEntry, Reputation, ScoreEvent, TierChange
from transparency.log import verify_stored_log
from trust_portal.errors import Forbidden, NotFound
from verdicts.models import Verdict

RATIONALE = (
    "The buyer's request logs (submission 1) show failures the telemetry never counted; the vendor did not "
    "contest them. The clause was breached in that window."
)


def test_filing_starts_the_respondents_clock_and_marks_the_verdict_disputed(file, verdict, vendor) -> None:
    dispute = file()
    assert dispute.status == Status.AWAITING_RESPONSE
    assert dispute.respondent_id == vendor.organization.pk
    assert (dispute.due_by - dispute.created_at).days == dispute.response_days
    assert [e.action for e in DisputeEvent.objects.filter(dispute=dispute)] == ["file", "await_response"]
    current = Verdict.objects.get(is_current=True)
    assert current.disputed and current.shown_status == "disputed" and current.status == "met"
    submission = Submission.objects.get(dispute=dispute)
    assert submission.leaf_index is not None and submission.stage == "filing"
    assert verify_stored_log() == []


def test_a_second_open_dispute_about_the_same_subject_points_at_the_first(file) -> None:
    first = file()
    with pytest.raises(DuplicateDispute) as refused:
        file()
    assert str(first.pk) in refused.value.detail


def test_a_buyer_without_an_engagement_has_no_standing(file, buyer_b) -> None:
    with pytest.raises(NoStanding, match="engage"):
        file(user=buyer_b)


def test_the_whole_life_with_an_appeal(file, vendor, buyer, arbiter, arbiter_b, agent) -> None:
    dispute = file()
    with pytest.raises(Forbidden):
        workflow.dispute_respond(user=buyer, dispute=dispute, statement="not mine to answer")
    dispute = workflow.dispute_respond(user=vendor, dispute=dispute, statement="The telemetry is complete.")
    assert dispute.status == Status.UNDER_REVIEW
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    with pytest.raises(TransitionRefused):
        workflow.dispute_assign(user=arbiter_b, dispute=Dispute.objects.get(pk=dispute.pk))
    dispute = workflow.dispute_request_info(user=arbiter, dispute=dispute, party="respondent", question="Sampling?")
    dispute = workflow.dispute_submit_info(user=vendor, dispute=dispute, statement="Every request is logged.")
    assert dispute.status == Status.UNDER_REVIEW
    before = Reputation.objects.get(agent=agent)
    ruling = dispute_rule(
        user=arbiter,
        dispute=dispute,
        outcome="upheld",
        rationale=RATIONALE,
        consequences=[
            {"action": "verdict_override", "status": "breached", "days": 10},
            {"action": "service_credit", "percent": 10},
        ],
    )
    dispute.refresh_from_db()
    assert dispute.status == Status.RULED
    after = Reputation.objects.get(agent=agent)
    assert after.score < before.score
    assert after.tier == "suspended"  # the override breaches a critical clause
    event = ScoreEvent.objects.filter(agent=agent).latest("at", "id")
    assert (event.source_type, event.source_id) == ("ruling", ruling.pk)
    assert TierChange.objects.filter(agent=agent, source_type="ruling", source_id=ruling.pk).exists()
    credit = LedgerEntry.objects.get(ruling_id=ruling.pk)
    assert credit.status == "owed" and str(credit.amount) == "100.00"
    assert ruling_apply(ruling_id=ruling.pk) is False  # a second run changes nothing
    assert LedgerEntry.objects.filter(ruling_id=ruling.pk).count() == 1
    # The vendor appeals; the first arbiter may not take the appeal.
    dispute = workflow.dispute_appeal(
        user=vendor, dispute=dispute, statement="New: the 28th was a load test on a staging tenant, see logs."
    )
    assert dispute.status == Status.APPEALED and dispute.arbiter_id is None
    with pytest.raises(Forbidden):
        workflow.dispute_assign(user=arbiter, dispute=dispute)
    dispute = workflow.dispute_assign(user=arbiter_b, dispute=dispute)
    appeal = dispute_rule(user=arbiter_b, dispute=dispute, outcome="rejected", rationale=RATIONALE + " Not so.")
    assert appeal.supersedes_id == ruling.pk
    credit.refresh_from_db()
    assert credit.status == "cancelled"
    dispute.refresh_from_db()
    assert dispute.status == Status.RULED_ON_APPEAL
    dispute = workflow.dispute_close(user=None, dispute=dispute)
    assert dispute.status == Status.CLOSED
    assert not Verdict.objects.get(is_current=True).disputed
    assert verify_stored_log() == []


def test_an_outsider_cannot_see_a_dispute(file, buyer_b) -> None:
    dispute = file()
    with pytest.raises(NotFound):
        workflow.dispute_withdraw(user=buyer_b, dispute=dispute)


def test_a_dispute_never_restores_trust_a_breach_took_away(file, observe, agent, verdict) -> None:
    """Disputing a breach marks the verdict disputed for buyers; score and tier still count the breach."""
    observe(10, trials=1000)  # breached: the critical clause suspends the agent
    breached = Verdict.objects.get(is_current=True)
    suspended = Reputation.objects.get(agent=agent)
    assert breached.status == "breached" and suspended.tier == "suspended"
    file(subject={"type": "verdict", "id": breached.pk}, claim_type="verdict_wrong")
    current = Verdict.objects.get(is_current=True)
    assert current.disputed and current.status == "breached" and current.shown_status == "disputed"
    after = Reputation.objects.get(agent=agent)
    assert after.tier == "suspended" and after.score <= suspended.score


def test_submissions_and_rulings_are_never_edited(file, vendor, arbiter) -> None:
    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="All logged.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    ruling = dispute_rule(user=arbiter, dispute=dispute, outcome="rejected", rationale=RATIONALE)
    submission = Submission.objects.filter(dispute=dispute).first()
    submission.statement = "rewritten"
    with pytest.raises(ValueError, match="never edited"):
        submission.save()
    ruling.rationale = "rewritten"
    with pytest.raises(ValueError, match="immutable"):
        ruling.save()


def test_the_apply_task_run_twice_changes_nothing_the_second_time(file, vendor, arbiter, agent) -> None:
    from disputes.tasks import apply_ruling

    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="All logged.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    ruling = dispute_rule(
        user=arbiter,
        dispute=dispute,
        outcome="partially_upheld",
        rationale=RATIONALE,
        consequences=[{"action": "service_credit", "percent": 5}],
    )
    counts = (ScoreEvent.objects.count(), TierChange.objects.count(), LedgerEntry.objects.count())
    assert apply_ruling.delay(ruling.pk).get() is False
    assert apply_ruling.delay(ruling.pk).get() is False
    assert (ScoreEvent.objects.count(), TierChange.objects.count(), LedgerEntry.objects.count()) == counts
    assert LedgerEntry.objects.get(ruling_id=ruling.pk).amount == Decimal("50.00")
    penalty = ScoreEvent.objects.filter(source_type="ruling", source_id=ruling.pk).get()
    assert penalty.delta < 0 and penalty.inputs["penalties"][0][2] == {"type": "ruling", "id": ruling.pk}
    from reputation.services import recompute

    assert abs(recompute(penalty.inputs).score - penalty.score) < 1e-9  # anyone recomputes it, penalty included


def test_a_credit_under_dispute_waits_for_the_ruling(file, observe, agent, vendor, arbiter) -> None:
    """Money waits for due process: the vendor disputes the breach; its credit stays pending past the cure period."""
    from datetime import timedelta

    from django.utils import timezone

    from reputation.ledger import ledger_cure_sweep

    observe(10, trials=1000)
    breached = Verdict.objects.get(is_current=True)
    entry = LedgerEntry.objects.get(verdict=breached)
    assert entry.status == "pending_cure"
    dispute = file(user=vendor, subject={"type": "verdict", "id": breached.pk}, claim_type="verdict_wrong")
    after_cure = entry.cure_ends_at + timedelta(minutes=1)
    assert ledger_cure_sweep(now=after_cure) == 0
    entry.refresh_from_db()
    assert entry.status == "pending_cure"
    workflow.dispute_withdraw(user=vendor, dispute=dispute, now=timezone.now())
    assert ledger_cure_sweep(now=after_cure) == 1
    entry.refresh_from_db()
    assert entry.status == "owed"


def test_a_policys_max_open_disputes_counts_this_agents_open_disputes(file, buyer, agent, vendor) -> None:
    """The count is read inside the decision's one query (reputation.policies.open_disputes_sql)."""
    from reputation.policies import decide, policy_create

    policy = policy_create(
        user=buyer, organization=buyer.organization, name="No disputes", rules={"max_open_disputes": 0}
    )
    assert decide(user=buyer, slug=agent.slug, policy_id=policy.pk).evaluated.result == "allow"
    dispute = file()
    denied = decide(user=buyer, slug=agent.slug, policy_id=policy.pk).evaluated
    assert denied.result == "deny" and "1 open dispute(s), at most 0" in denied.reasons
    workflow.dispute_withdraw(user=buyer, dispute=dispute)
    assert decide(user=buyer, slug=agent.slug, policy_id=policy.pk).evaluated.result == "allow"
