"""Deadlines move disputes on their own (disputes.deadlines, the beat's ``disputes.escalate``), under
time-machine: respondent default, an unanswered question, an arbiter past the review deadline, the appeal window
closing; and the appeal refused once the window has closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Notification
from disputes import workflow
from disputes.errors import TransitionRefused
from disputes.models import DisputeEvent, Status
from disputes.rulings import dispute_rule
from disputes.tasks import escalate

RATIONALE = "The telemetry export covers every request of the window; the buyer's sample is from another tenant. " * 2


def later(days: float, hours: float = 0):
    return time_machine.travel(timezone.now() + timedelta(days=days, hours=hours), tick=False)


def test_a_respondent_who_misses_the_deadline_defaults(file) -> None:
    dispute = file()
    with later(dispute.response_days - 0.5):
        assert escalate.delay().get()["defaulted"] == 0
    dispute.refresh_from_db()
    assert dispute.status == Status.AWAITING_RESPONSE
    with later(dispute.response_days, hours=1):
        assert escalate.delay().get()["defaulted"] == 1
        dispute.refresh_from_db()
        assert dispute.status == Status.UNDER_REVIEW and dispute.respondent_defaulted
        assert dispute.review_due_by > timezone.now() + timedelta(days=dispute.review_days - 1)
        event = DisputeEvent.objects.filter(dispute=dispute).latest("at", "id")
        assert (event.action, event.actor, event.from_status, event.to_status) == (
            "default",
            None,
            "awaiting_response",
            "under_review",
        )
        assert escalate.delay().get()["defaulted"] == 0  # once


def test_a_late_response_is_refused_after_the_default(file, vendor) -> None:
    dispute = file()
    with later(dispute.response_days, hours=1):
        escalate.delay().get()
        dispute.refresh_from_db()
        with pytest.raises(TransitionRefused, match="under review"):
            workflow.dispute_respond(user=vendor, dispute=dispute, statement="Sorry, late.")


def test_an_unanswered_question_goes_back_to_review(file, vendor, arbiter) -> None:
    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="All logged.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    dispute = workflow.dispute_request_info(user=arbiter, dispute=dispute, party="claimant", question="Which tenant?")
    with later(dispute.response_days, hours=1):
        assert escalate.delay().get()["unanswered"] == 1
    dispute.refresh_from_db()
    assert dispute.status == Status.UNDER_REVIEW and dispute.info_party == ""


def test_an_arbiter_past_the_review_deadline_is_released_and_staff_told(file, vendor, arbiter, staff) -> None:
    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="All logged.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    with later(dispute.review_days, hours=1):
        assert escalate.delay().get()["escalated"] == 1
        dispute.refresh_from_db()
        assert dispute.status == Status.UNDER_REVIEW and dispute.arbiter_id is None and dispute.escalated_at
        assert Notification.objects.filter(recipient=staff, kind="dispute.escalated").count() == 1
        assert Notification.objects.filter(recipient=arbiter, title__contains="back to the queue").exists()
        assert escalate.delay().get()["escalated"] == 0  # the review deadline restarted


def test_the_appeal_window_closes_and_the_ruling_becomes_final(file, vendor, arbiter) -> None:
    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="All logged.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    dispute_rule(user=arbiter, dispute=dispute, outcome="rejected", rationale=RATIONALE)
    dispute.refresh_from_db()
    assert dispute.status == Status.RULED
    with later(dispute.appeal_days - 1):
        assert escalate.delay().get()["closed"] == 0
        with pytest.raises(TransitionRefused, match="appeal window is open"):
            workflow.dispute_close(user=arbiter, dispute=dispute)
    with later(dispute.appeal_days, hours=1):
        with pytest.raises(TransitionRefused, match="appeal window closed"):
            workflow.dispute_appeal(user=vendor, dispute=dispute, statement="Something new came to light after all.")
        assert escalate.delay().get()["closed"] == 1
    dispute.refresh_from_db()
    assert dispute.status == Status.CLOSED and dispute.closed_at is not None
