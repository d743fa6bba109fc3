"""Who sees an incident: the vendor its agents'; buyers those of agents they engage, or that the vendor made
public; the reporter's organization; staff; nobody else (404, and absent from lists and metrics)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from incidents import services
from incidents.selectors import incident_list

pytestmark = pytest.mark.django_db


def seen(user, incident) -> bool:
    return incident_list(user=user).filter(pk=incident.pk).exists()


def status_for(user, incident) -> int:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(f"/api/v1/incidents/{incident.pk}/").status_code


def test_vendor_sees_its_own_agents_incidents_and_others_do_not(report, vendor, vendor_member, vendor_b) -> None:
    incident = report()
    assert seen(vendor, incident) and seen(vendor_member, incident)
    assert not seen(vendor_b, incident)
    assert status_for(vendor_b, incident) == 404


def test_an_engaged_buyer_sees_them_and_an_unengaged_one_does_not(
    report, buyer, buyer_member, buyer_b, engaged
) -> None:
    incident = report()
    assert seen(buyer, incident) and seen(buyer_member, incident)
    assert status_for(buyer_member, incident) == 200
    assert not seen(buyer_b, incident) and status_for(buyer_b, incident) == 404


def test_public_incidents_are_seen_by_everyone(report, vendor, buyer_b, vendor_b, arbiter) -> None:
    incident = report()
    assert status_for(None, incident) == 404
    services.incident_set_public(user=vendor, incident=incident, public=True)
    for user in (None, buyer_b, vendor_b, arbiter):
        assert status_for(user, incident) == 200


def test_the_reporting_buyer_keeps_seeing_its_report_after_the_engagement_ends(report, buyer, engaged) -> None:
    from reputation.engagements import engagement_end

    incident = report(user=buyer)
    engagement_end(user=buyer, engagement=engaged)
    assert seen(buyer, incident)


def test_staff_see_everything(report, staff) -> None:
    assert seen(staff, report())


def test_metrics_count_only_what_the_caller_may_see(report, vendor, buyer_b) -> None:
    report()
    client = APIClient()
    client.force_authenticate(vendor)
    assert client.get("/api/v1/incidents/metrics/").json()["incidents"] == 1
    client.force_authenticate(buyer_b)
    assert client.get("/api/v1/incidents/metrics/").json()["incidents"] == 0


def test_an_agent_scoped_token_reads_public_incidents_only_and_writes_nothing(report, vendor, agent) -> None:
    from evidence.services import ingest_token_create

    private, public = report(), report(title="Public one")
    services.incident_set_public(user=vendor, incident=public, public=True)
    issued = ingest_token_create(user=vendor, name="ci", agents=[agent])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    ids = [i["id"] for i in client.get("/api/v1/incidents/").json()["results"]]
    assert ids == [public.pk]
    assert client.get(f"/api/v1/incidents/{private.pk}/").status_code == 404
    assert client.post(f"/api/v1/incidents/{public.pk}/analyse/", {}, format="json").status_code == 403
