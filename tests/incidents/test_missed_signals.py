"""The first missed signal: derived from the involved clauses' history in the look-back window; an allow that
should have denied; the hook for early warnings; a correction keeps its justification."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import hooks, missed_signals, services
from incidents.errors import IncidentInvalid
from reputation.models import AccessPolicy, Decision, PolicyRevision

pytestmark = pytest.mark.django_db


def test_the_first_non_met_verdict_in_the_window(report, history, now) -> None:
    history("breached", now - timedelta(days=40))  # before the 30-day window
    history("met", now - timedelta(days=10))
    first = history("stale", now - timedelta(days=6))
    history("breached", now - timedelta(days=2))
    history("breached", now)  # after the failure became visible
    incident = report(visible_at=now - timedelta(hours=1))
    assert (incident.signal_type, incident.signal_id, incident.signal_at) == ("verdict", first.pk, first.computed_at)
    assert incident.signal_lead_seconds == (incident.visible_at - first.computed_at).total_seconds()


def test_no_signal_when_the_clause_stayed_met(report, history, now) -> None:
    history("met", now - timedelta(days=3))
    incident = report()
    assert incident.signal_at is None and incident.signal_type == ""


def test_an_allow_while_the_clause_was_not_met_is_a_missed_signal(
    report, history, now, buyer, agent, clause_id
) -> None:
    policy = AccessPolicy.objects.create(organization=buyer.organization, name="Prod", created_by=buyer)
    revision = PolicyRevision.objects.create(policy=policy, number=1, rules={"min_tier": "probation"}, created_by=buyer)
    history("breached", now - timedelta(days=45))  # the breach itself is older than the window
    allow = Decision.objects.create(
        decision_id="dec_1",
        policy=policy,
        revision=revision,
        agent=agent,
        result="allow",
        input={"verdicts": {clause_id: "breached"}},
        conditions=[],
        reasons=[],
        at=now - timedelta(days=5),
    )
    Decision.objects.create(
        decision_id="dec_0",
        policy=policy,
        revision=revision,
        agent=agent,
        result="allow",
        input={"verdicts": {clause_id: "met"}},
        conditions=[],
        reasons=[],
        at=now - timedelta(days=8),
    )
    incident = report()
    assert (incident.signal_type, incident.signal_id) == ("decision", allow.pk)
    assert "allowed while resolution-rate was breached" in incident.signal_summary


def test_early_warnings_plug_in_through_the_hook(report, history, now) -> None:
    history("breached", now - timedelta(days=2))

    def warnings(*, agent_id, clauses, start, end):
        return [missed_signals.Signal("warning", 77, now - timedelta(days=3), clauses[0][1], "fast burn")]

    hooks.signal_sources.append(warnings)
    try:
        incident = report()
    finally:
        hooks.signal_sources.remove(warnings)
    assert (incident.signal_type, incident.signal_id) == ("warning", 77)


def test_a_correction_records_who_when_and_why(report, history, now, vendor) -> None:
    history("breached", now - timedelta(days=2))
    incident = report()
    derived = incident.signal_summary
    corrected = services.signal_set(
        user=vendor,
        incident=incident,
        type="other",
        at=now - timedelta(days=9),
        summary="a customer e-mail nobody triaged",
        justification="Support had the first complaint nine days before.",
    )
    assert corrected.signal_overridden and corrected.signal_set_by == vendor
    assert corrected.signal_at == now - timedelta(days=9)
    assert derived in corrected.events.last().note
    again = services.signal_rederive(user=vendor, incident=corrected)
    assert not again.signal_overridden and again.signal_summary == derived


def test_a_correction_needs_a_justification_and_comes_before_the_failure(report, now, vendor) -> None:
    incident = report()
    with pytest.raises(IncidentInvalid) as short:
        services.signal_set(user=vendor, incident=incident, type="other", at=now - timedelta(days=1), justification="x")
    assert short.value.field == "justification"
    with pytest.raises(IncidentInvalid) as late:
        services.signal_set(
            user=vendor,
            incident=incident,
            type="other",
            at=now,
            summary="a dashboard",
            justification="Seen on the dashboard right after.",
        )
    assert late.value.field == "at"
