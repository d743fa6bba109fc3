"""Engagements (reputation.engagements): DESIGN.md's wire format, who may start, see and end one, and an
engagement that follows each new version of its pact with the buyer told."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import Notification
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from reputation.engagements import engagement_start, engagements_catch_up
from reputation.ledger_tasks import ledger_sweep
from reputation.models import Engagement
from tests.factories import member

pytestmark = pytest.mark.django_db
URL = "/api/v1/engagements/"
BODY = {"agent": "refund-bot", "monthly_fee": "1200.00", "currency": "EUR", "starts_on": "2026-11-01"}


@pytest.fixture
def buyer_member(buyer):
    return member("bo-member", "Northwind Bank", "buyer", role="member")


@pytest.fixture
def buyer_b(db):
    return member("gil-globex", "Globex Retail", "buyer")


@pytest.fixture
def engagement(published_pact, buyer, agent) -> Engagement:
    return engagement_start(
        user=buyer, agent=agent, monthly_fee="1200.00", currency="EUR", starts_on=timezone.localdate()
    )


def test_a_buyer_owner_engages_an_agent_in_the_wire_format(published_pact, buyer, bearer) -> None:
    response = bearer(buyer).post(URL, BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "agent", "buyer", "pact_version", "status"} <= set(body)
    assert (body["agent"], body["buyer"], body["pact_version"], body["status"]) == (
        "refund-bot",
        buyer.organization.slug,
        1,
        "active",
    )
    assert body["monthly_fee"] == "1200.00" and body["currency"] == "EUR" and body["starts_on"] == "2026-11-01"
    assert bearer(buyer).get(f"{URL}{body['id']}/").json()["id"] == body["id"]


@pytest.mark.parametrize("who", ["buyer_member", "vendor", "outsider", "arbiter", "staff"])
def test_only_a_buyer_owner_starts_an_engagement(who, published_pact, bearer, request) -> None:
    response = bearer(request.getfixturevalue(who)).post(URL, BODY, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only an owner of a buyer organization may engage an agent."
    assert not Engagement.objects.exists()


def test_anonymous_callers_are_asked_to_sign_in(published_pact, api_client) -> None:
    assert api_client.post(URL, BODY, format="json").status_code == 401
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"monthly_fee": "12.345"}, "monthly_fee"),
        ({"monthly_fee": "-1.00"}, "monthly_fee"),
        ({"monthly_fee": "lots"}, "monthly_fee"),
        ({"currency": "eur"}, "currency"),
        ({"agent": "no-such-bot"}, "agent"),
        ({"ends_on": "2026-10-01"}, "ends_on"),
    ],
)
def test_a_bad_engagement_is_a_400_naming_the_field(change, field, published_pact, buyer, bearer) -> None:
    response = bearer(buyer).post(URL, {**BODY, **change}, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in {e["field"] for e in problem.get("errors", [])} | {problem.get("field")} or field in str(problem)


def test_several_pacts_in_force_need_the_pact_named(published_pact, agent, vendor, buyer, bearer) -> None:
    other = pact_services.pact_create(agent=agent, user=vendor, title="Latency", document=copy.deepcopy(REFUNDS_V1))
    pact_services.pact_version_publish(version=other.versions.get(number=1), user=vendor)
    client = bearer(buyer)
    refused = client.post(URL, BODY, format="json")
    assert refused.status_code == 400 and "pact" in refused.json()["detail"]
    chosen = client.post(URL, {**BODY, "pact": other.pk}, format="json")
    assert chosen.status_code == 201 and chosen.json()["pact"] == other.pk


def test_one_open_engagement_per_buyer_and_pact(engagement, buyer, bearer) -> None:
    response = bearer(buyer).post(URL, BODY, format="json")
    assert response.status_code == 409
    assert Engagement.objects.count() == 1


def test_an_agent_with_no_pact_in_force_cannot_be_engaged(draft_pact, buyer, bearer) -> None:
    assert bearer(buyer).post(URL, BODY, format="json").status_code == 409


def test_who_sees_which_engagements(
    engagement, buyer, buyer_member, buyer_b, vendor, vendor_b, staff, outsider, bearer
):
    def ids(user) -> set[int]:
        return {item["id"] for item in bearer(user).get(URL).json()["results"]}

    assert ids(buyer) == ids(buyer_member) == ids(vendor) == ids(staff) == {engagement.pk}
    assert ids(buyer_b) == ids(vendor_b) == ids(outsider) == set()
    for stranger in (buyer_b, vendor_b, outsider):
        assert bearer(stranger).get(f"{URL}{engagement.pk}/").status_code == 404


def test_the_buyer_owner_ends_an_engagement_once(engagement, buyer, buyer_member, vendor, bearer) -> None:
    end = f"{URL}{engagement.pk}/end/"
    assert bearer(buyer_member).post(end).status_code == 403
    assert bearer(vendor).post(end).status_code == 403
    response = bearer(buyer).post(end)
    assert response.status_code == 200 and response.json()["status"] == "ended"
    again = bearer(buyer).post(end)
    assert again.status_code == 409 and "ended" in again.json()["detail"]
    # Ended, the buyer may engage the agent again.
    assert bearer(buyer).post(URL, BODY, format="json").status_code == 201


def test_the_engagement_follows_a_new_version_and_the_buyer_is_told(engagement, published_pact, vendor, buyer):
    v2 = pact_services.pact_version_create_draft(
        pact=published_pact, user=vendor, document=copy.deepcopy(REFUNDS_V1), changelog="clarified"
    )
    pact_services.pact_version_publish(version=v2, user=vendor)
    engagement.refresh_from_db()
    assert engagement.pact_version.number == 2
    notice = Notification.objects.get(recipient=buyer, kind="pact.published")
    assert "v2 now in force" in notice.title


def test_a_scheduled_version_is_announced_and_followed_when_it_takes_effect(engagement, published_pact, vendor, buyer):
    v2 = pact_services.pact_version_create_draft(pact=published_pact, user=vendor, document=copy.deepcopy(REFUNDS_V1))
    takes_effect = timezone.now() + timedelta(days=10)
    pact_services.pact_version_publish(version=v2, user=vendor, effective_from=takes_effect)
    engagement.refresh_from_db()
    assert engagement.pact_version.number == 1
    assert "takes effect" in Notification.objects.get(recipient=buyer, kind="pact.published").title
    assert engagements_catch_up() == 0
    with time_machine.travel(takes_effect + timedelta(seconds=1), tick=False):
        assert ledger_sweep()["followed"] == 1
    engagement.refresh_from_db()
    assert engagement.pact_version.number == 2


def test_an_engagement_past_its_end_date_lapses(published_pact, agent, buyer) -> None:
    today = timezone.localdate()
    lapsing = engagement_start(
        user=buyer, agent=agent, monthly_fee="10.00", currency="EUR", starts_on=today, ends_on=today
    )
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert ledger_sweep()["ended"] == 1
    lapsing.refresh_from_db()
    assert lapsing.ended_at is not None and lapsing.status == "ended"


# --- pages -----------------------------------------------------------------------------------------------------


def test_the_engagements_page_starts_and_lists_engagements(published_pact, buyer, client: Client) -> None:
    client.force_login(buyer)
    page = client.get("/engagements/")
    assert page.status_code == 200 and b'data-testid="engage-form"' in page.content
    form = {"agent": "refund-bot", "monthly_fee": "950.50", "currency": "EUR", "starts_on": date.today().isoformat()}
    response = client.post("/engagements/", form)
    assert response.status_code == 302
    engagement = Engagement.objects.get()
    assert str(engagement.monthly_fee) == "950.50"
    listed = client.get("/engagements/").content.decode()
    assert "Refund Bot" in listed and "950.50 EUR" in listed and 'data-confirm="End the engagement' in listed


def test_the_engagements_page_shows_others_nothing(engagement, buyer_b, vendor, client: Client) -> None:
    client.force_login(buyer_b)
    assert b'data-testid="engagement"' not in client.get("/engagements/").content
    client.force_login(vendor)
    page = client.get("/engagements/").content
    assert b'data-testid="engagement"' in page and b"engage-form" not in page and b"danger" not in page


def test_the_end_button_ends_the_engagement(engagement, buyer, client: Client) -> None:
    client.force_login(buyer)
    assert client.post(f"/engagements/{engagement.pk}/end/").status_code == 302
    engagement.refresh_from_db()
    assert engagement.ended_at is not None


def test_the_agent_page_offers_buyers_owners_to_engage(published_pact, buyer, buyer_member, client: Client) -> None:
    client.force_login(buyer)
    assert b"Engage this agent" in client.get("/agents/refund-bot/").content
    client.force_login(buyer_member)
    page = client.get("/agents/refund-bot/").content
    assert b'data-testid="engagement-panel"' in page and b"Engage this agent" not in page


def test_the_agent_page_shows_the_buyers_engagement(engagement, buyer, client: Client) -> None:
    client.force_login(buyer)
    page = client.get("/agents/refund-bot/").content.decode()
    assert 'data-testid="panel-engagement"' in page and "1200.00 EUR" in page
