"""The demo's disputes (disputes.demo, through seed_demo): every state, a default, an appeal to another arbiter,
precedent, a settlement, confidential submissions, a conflict; idempotent; the log still verifies."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from disputes.models import ArbiterConflict, Dispute, DisputeEvent, Ruling, Status, Submission
from reputation.models import LedgerEntry, ScoreEvent, TierChange
from transparency.log import verify_stored_log
from verdicts.models import Verdict

pytestmark = pytest.mark.django_db

COUNTED = (Dispute, DisputeEvent, Submission, Ruling, ArbiterConflict, LedgerEntry, Verdict, ScoreEvent, TierChange)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seed_demo_fills_every_dispute_state_once() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "disputes: 12 disputes" in out.getvalue()
    first = _counts()
    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert "disputes: demo disputes already present" in again.getvalue()
    assert _counts() == first

    states = set(Dispute.objects.values_list("status", flat=True))
    assert set(Status.values) - states == {Status.FILED, Status.RULED_ON_APPEAL}  # both last an instant
    for ruled in Dispute.objects.filter(status=Status.RULED):
        assert ruled.due_by is not None and ruled.due_by > timezone.now()  # the appeal window is open

    defaulted = Dispute.objects.get(respondent_defaulted=True)
    assert defaulted.status == Status.UNDER_REVIEW
    assert defaulted.events.filter(action="default", actor__isnull=True).exists()

    appeal = Ruling.objects.get(stage=Ruling.Stage.APPEAL)
    assert appeal.dispute.status == Status.CLOSED
    assert appeal.supersedes is not None
    assert (appeal.supersedes.arbiter.username, appeal.arbiter.username) == ("arbiter", "arbiter2")
    assert Dispute.objects.filter(status=Status.APPEALED, arbiter__username="arbiter2").exists()

    settled = Dispute.objects.get(status=Status.SETTLED)
    assert list(settled.events.values_list("action", flat=True))[-2:] == ["propose_settlement", "settle"]
    assert settled.settlement_proposed_by == "respondent"

    assert all(len(r.rationale) >= 100 for r in Ruling.objects.all())
    actions = {c["action"] for r in Ruling.objects.all() for c in r.consequences}
    assert actions == {"service_credit", "cancel_credit", "verdict_override", "tier"}
    citing = Ruling.objects.filter(cites__isnull=False, stage=Ruling.Stage.FIRST)
    assert any(cited.clause_id == r.clause_id for r in citing for cited in r.cites.all())

    assert Submission.objects.filter(confidential=True).exists()
    conflict = ArbiterConflict.objects.get()
    assert conflict.arbiter.username == "arbiter2"
    assert not Dispute.objects.filter(arbiter=conflict.arbiter, agent__organization=conflict.organization).exists()

    # The disputes keep the demo's tier examples as they were.
    tiers = dict(Verdict.objects.filter(is_current=True).values_list("agent__slug", "agent__reputation__tier"))
    assert tiers["claims-triage"] == "suspended" and tiers["doc-summarizer"] == "probation"
    assert not TierChange.objects.filter(source_type="ruling").exists()
    assert verify_stored_log() == []
