"""open → analysing → closed: who may make each move, one event per move, closing needs a broken assumption,
a stale revision is refused, a closed incident is not rewritten."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import services
from incidents.errors import BrokenAssumptionRequired, TransitionRefused
from incidents.models import Incident, IncidentEvent, Status
from trust_portal.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db


def postmortem(user, incident, **fields):
    values = {"summary": "Refund confirmations were lost in the provider migration.", "broken_assumption": ""}
    values.update(fields)
    return services.postmortem_write(user=user, incident=incident, **values)


def test_a_report_opens_with_one_event(report) -> None:
    incident = report()
    assert incident.status == Status.OPEN
    assert list(incident.events.values_list("action", "from_status", "to_status")) == [("create", "", "open")]


def test_writing_the_postmortem_moves_open_to_analysing(report, vendor_member) -> None:
    incident = report()
    postmortem(vendor_member, incident)
    incident.refresh_from_db()
    assert incident.status == Status.ANALYSING
    assert incident.events.last().action == "postmortem"


def test_closing_without_a_broken_assumption_is_refused(report, vendor) -> None:
    incident = report()
    postmortem(vendor, incident)
    incident.refresh_from_db()
    with pytest.raises(BrokenAssumptionRequired) as refused:
        services.incident_close(user=vendor, incident=incident)
    assert refused.value.errors[0]["field"] == "broken_assumption"
    incident.refresh_from_db()
    assert incident.status == Status.ANALYSING


def test_an_owner_closes_once_the_broken_assumption_is_named(report, vendor) -> None:
    incident = report()
    postmortem(vendor, incident, broken_assumption="A refund marked done had reached the customer.")
    incident.refresh_from_db()
    closed = services.incident_close(user=vendor, incident=incident)
    assert closed.status == Status.CLOSED and closed.closed_at is not None
    assert [e.action for e in closed.events.all()] == ["create", "postmortem", "close"]


def test_a_member_may_analyse_but_not_close(report, vendor_member) -> None:
    incident = report()
    postmortem(vendor_member, incident, broken_assumption="The dashboard showed the agent's own view.")
    incident.refresh_from_db()
    with pytest.raises(Forbidden):
        services.incident_close(user=vendor_member, incident=incident)


def test_staff_may_do_everything(report, staff) -> None:
    incident = report()
    services.incident_start_analysis(user=staff, incident=incident)
    incident.refresh_from_db()
    postmortem(staff, incident, broken_assumption="Evidence was fresh.")
    incident.refresh_from_db()
    assert services.incident_close(user=staff, incident=incident).status == Status.CLOSED


def test_an_engaged_buyer_reports_and_notes_but_does_not_analyse(report, buyer, engaged) -> None:
    incident = report(user=buyer)
    assert incident.reported_by_org == buyer.organization
    assert incident.owner is None  # the vendor names its owner
    services.note_add(user=buyer, incident=incident, body="Our support desk saw the first complaints at 09:10.")
    with pytest.raises(Forbidden):
        postmortem(buyer, incident)
    with pytest.raises(Forbidden):
        services.incident_start_analysis(user=buyer, incident=incident)


def test_a_buyer_engaging_nothing_may_not_report(report, buyer_b, pact) -> None:
    with pytest.raises(Forbidden):
        report(user=buyer_b)


def test_another_vendor_does_not_see_the_incident(report, vendor_b) -> None:
    incident = report()
    with pytest.raises(NotFound):
        services.incident_start_analysis(user=vendor_b, incident=incident)


def test_close_from_open_is_a_409_naming_the_state(report, vendor) -> None:
    incident = report()
    with pytest.raises(TransitionRefused) as refused:
        services.incident_close(user=vendor, incident=incident)
    assert "open" in refused.value.detail


def test_a_stale_revision_is_refused(report, vendor) -> None:
    incident = report()
    stale = Incident.objects.get(pk=incident.pk)
    services.incident_start_analysis(user=vendor, incident=incident)
    with pytest.raises(TransitionRefused) as refused:
        services.incident_start_analysis(user=vendor, incident=stale)
    assert IncidentEvent.objects.filter(incident=incident, action="analyse").count() == 1
    assert "analysing" in refused.value.detail


def test_a_closed_incident_keeps_its_postmortem(report, vendor) -> None:
    incident = report()
    postmortem(vendor, incident, broken_assumption="Telemetry counted retries as successes.")
    incident.refresh_from_db()
    services.incident_close(user=vendor, incident=incident)
    incident.refresh_from_db()
    with pytest.raises(TransitionRefused):
        postmortem(vendor, incident, broken_assumption="rewritten")


def test_public_is_the_vendor_owners_to_set(report, vendor, vendor_member) -> None:
    incident = report()
    with pytest.raises(Forbidden):
        services.incident_set_public(user=vendor_member, incident=incident, public=True)
    with pytest.raises(Forbidden):
        report(user=vendor_member, public=True)
    assert services.incident_set_public(user=vendor, incident=incident, public=True).public


def test_only_the_author_edits_a_note(report, vendor, vendor_member, now) -> None:
    incident = report()
    note = services.note_add(user=vendor_member, incident=incident, body="Paged at 09:30.", at=now - timedelta(hours=2))
    with pytest.raises(Forbidden):
        services.note_edit(user=vendor, note=note, body="rewritten")
    edited = services.note_edit(user=vendor_member, note=note, body="Paged at 09:35.")
    assert edited.body == "Paged at 09:35." and edited.edited_at is not None
