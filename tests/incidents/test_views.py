"""Incident pages: the report form prefilled from a verdict or a tier change, the "Open an incident" links, the
incident page with its timeline (a constant number of queries), the postmortem form with remediation rows, the
dashboard; hostile form input is a 400 on the form, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import selectors, services
from incidents.models import Incident
from reputation.models import TierChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, vendor):
    client.force_login(vendor)
    return client


def test_the_report_form_is_prefilled_from_a_breached_verdict(signed_in, history, now, clause_id) -> None:
    breach = history("breached", now - timedelta(days=1))
    page = signed_in.get(f"/incidents/new/?verdict={breach.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["clauses"] == clause_id and form.initial["origin_type"] == "verdict"
    assert form.initial["severity"] == "critical"


def test_the_report_form_is_prefilled_from_a_tier_change(signed_in, agent, now, pact) -> None:
    change = TierChange.objects.create(
        agent=agent,
        at=now - timedelta(hours=3),
        old="standard",
        new="suspended",
        reason="critical clause breached",
        source_type="verdict",
        score=40,
        lower_bound=20,
    )
    form = signed_in.get(f"/incidents/new/?tier_change={change.pk}").context["form"]
    assert form.initial["severity"] == "critical" and "suspended" in form.initial["title"]


def test_an_unknown_origin_is_a_404(signed_in, pact) -> None:
    assert signed_in.get("/incidents/new/?verdict=99999").status_code == 404
    assert signed_in.get("/incidents/new/?verdict=abc").status_code == 404


def test_reporting_through_the_form(signed_in, history, now, clause_id, agent) -> None:
    breach = history("breached", now - timedelta(days=1))
    response = signed_in.post(
        "/incidents/new/",
        {
            "agent": agent.slug,
            "title": "Stuck refunds",
            "severity": "major",
            "visible_at": (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            "detected_by": "support",
            "clauses": clause_id,
            "lookback_days": 30,
            "origin_type": "verdict",
            "origin_id": breach.pk,
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.origin_type == "verdict" and incident.signal_id == breach.pk


@pytest.mark.parametrize(
    "change",
    [
        {"visible_at": "0001-01-01 00:00:00+23:59"},
        {"clauses": "nope"},
        {"lookback_days": "9" * 30},
        {"disputes": "1,x"},
        {"agent": "someone-else"},
        {"origin_id": "9" * 40},
    ],
)
def test_hostile_form_input_is_a_400(signed_in, now, clause_id, agent, change) -> None:
    data = {
        "agent": agent.slug,
        "title": "t",
        "severity": "major",
        "visible_at": (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "detected_by": "support",
        "clauses": clause_id,
        "lookback_days": 30,
    }
    data.update(change)
    assert signed_in.post("/incidents/new/", data).status_code == 400
    assert not Incident.objects.exists()


def test_the_clause_page_offers_open_an_incident_on_a_breach(signed_in, agent, pact, clause_id, history, now) -> None:
    from verdicts.models import Verdict

    breach = history("breached", now - timedelta(hours=5))
    Verdict.objects.filter(pk=breach.pk).update(is_current=True)
    page = signed_in.get(f"/agents/{agent.slug}/clauses/{pact.pk}/{clause_id}/")
    assert f"/incidents/new/?verdict={breach.pk}".encode() in page.content


def test_the_score_page_offers_it_on_a_downgrade(signed_in, agent, now, pact) -> None:
    change = TierChange.objects.create(
        agent=agent,
        at=now,
        old="standard",
        new="probation",
        reason="bound fell",
        source_type="verdict",
        score=50,
        lower_bound=40,
    )
    page = signed_in.get(f"/agents/{agent.slug}/score/")
    assert f"/incidents/new/?tier_change={change.pk}".encode() in page.content


def test_the_incident_page_shows_the_timeline_and_notes(client, report, history, now, vendor) -> None:
    history("breached", now - timedelta(days=2))
    incident = report()
    services.note_add(user=vendor, incident=incident, body="First complaint.", at=now - timedelta(days=1))
    client.force_login(vendor)
    page = client.get(f"/incidents/{incident.pk}/")
    assert page.status_code == 200
    assert b'data-testid="timeline-verdict"' in page.content and b"First complaint." in page.content
    # why trust was or was not withdrawn, and what a stricter pact would have changed: one click away
    assert f"/agents/{incident.agent.slug}/trust-after-degradation/".encode() in page.content


def test_the_timeline_takes_a_constant_number_of_queries(report, history, now, vendor, agent) -> None:
    def count() -> int:
        incident = selectors.incident_get(user=vendor, incident_id=report().pk)
        with CaptureQueriesContext(connection) as queries:
            selectors.timeline(user=vendor, incident=incident)
        return len(queries)

    history("breached", now - timedelta(days=3))
    few = count()
    for day in range(10):
        history("met" if day % 2 else "breached", now - timedelta(days=20 - day))
        TierChange.objects.create(
            agent=agent,
            at=now - timedelta(days=day),
            old="standard",
            new="probation",
            reason="r",
            source_type="verdict",
            score=1,
            lower_bound=1,
        )
    assert count() == few


def test_the_postmortem_form_adds_rows_and_saves(client, report, vendor) -> None:
    incident = report()
    client.force_login(vendor)
    url = f"/incidents/{incident.pk}/postmortem/"
    assert client.get(url).status_code == 200
    data = {
        "summary": "Lost confirmations.",
        "broken_assumption": "Done meant delivered.",
        "structural_weakness": "hidden_rescue_work",
        "rem-TOTAL_FORMS": "1",
        "rem-INITIAL_FORMS": "0",
        "rem-0-title": "Alert on manual refunds",
        "rem-0-owner": "ops",
        "rem-0-due_on": "2027-01-10",
    }
    more = client.post(url, {**data, "add_row": "1"})
    assert more.status_code == 200 and len(more.context["formset"].forms) == 2
    saved = client.post(url, data)
    assert saved.status_code == 302
    postmortem = Incident.objects.get().postmortem
    assert postmortem.structural_weakness.slug == "hidden_rescue_work"
    assert [r.title for r in postmortem.remediations.all()] == ["Alert on manual refunds"]


def test_a_refused_link_lands_on_its_row(client, report, vendor) -> None:
    incident = report()
    client.force_login(vendor)
    data = {
        "summary": "s",
        "rem-TOTAL_FORMS": "1",
        "rem-INITIAL_FORMS": "0",
        "rem-0-title": "t",
        "rem-0-owner": "o",
        "rem-0-due_on": "2027-01-10",
        "rem-0-operating_model_change": "on",
        "rem-0-change_kind": "threshold",
        "rem-0-pact_version": "1",
    }
    response = client.post(f"/incidents/{incident.pk}/postmortem/", data)
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["pact_version"]


def test_the_dashboard_renders_its_charts_for_anyone(client, report) -> None:
    report()
    page = client.get("/incidents/metrics/?start=2026-01-01+00:00")
    assert page.status_code == 200
    for figure in (b'id="lead-figure"', b'id="shares-figure"', b'id="weakness-figure"'):
        assert figure in page.content
    assert b"visible failure: the data as a table" in page.content  # the chart's accessible alternative
    assert client.get("/incidents/metrics/?start=nonsense").status_code == 400


def test_the_list_hides_what_the_viewer_may_not_see(client, report, buyer_b) -> None:
    report()
    client.force_login(buyer_b)
    assert client.get("/incidents/").context["page"].paginator.count == 0
