"""The consequence ledger (reputation.ledger): a breach credits each engaged buyer once, pending cure for the pact's
cure period to the second, then owed; the vendor's owner pays or waives; a ruling cancels; every refused transition
is a 409 naming the current state; each caller sees only their own entries."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import Notification
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.documents import content_hash, validate
from reputation.engagements import engagement_end, engagement_start
from reputation.ledger import (
    LedgerTransitionRefused,
    active_days_in_month,
    credit_amount,
    ledger_cure_sweep,
    ledger_entry_cancel,
    ledger_entry_pay,
)
from reputation.ledger_tasks import ledger_sweep
from reputation.models import Engagement, LedgerEntry, LedgerEvent
from tests.factories import member
from verdicts.models import Verdict

pytestmark = pytest.mark.django_db
URL = "/api/v1/ledger/"


@pytest.fixture
def buyer_b(db):
    return member("gil-globex", "Globex Retail", "buyer")


@pytest.fixture
def vendor_member(vendor):
    return member("mo-member", "Acme Agents", "vendor", role="member")


def engage(user, agent, fee: str = "1200.00", currency: str = "EUR", **kwargs) -> Engagement:
    kwargs.setdefault("starts_on", timezone.localdate().replace(day=1))  # the whole month: no proration
    return engagement_start(user=user, agent=agent, monthly_fee=fee, currency=currency, **kwargs)


@pytest.fixture
def engaged(one_clause, buyer, agent) -> Engagement:
    return engage(buyer, agent)


@pytest.fixture
def breach(engaged, observe):
    """met, then breached: the transition that earns the credit."""

    def run():
        observe(95)
        observe(10, trials=1000)
        return Verdict.objects.get(agent=engaged.agent, is_current=True)

    return run


@pytest.fixture
def entry(breach) -> LedgerEntry:
    breach()
    return LedgerEntry.objects.get()


@pytest.fixture
def owed(entry) -> LedgerEntry:
    """The entry once its cure period is over (moved into the past, so later transitions come after it)."""
    LedgerEntry.objects.filter(pk=entry.pk).update(cure_ends_at=timezone.now() - timedelta(seconds=1))
    ledger_cure_sweep()
    entry.refresh_from_db()
    return entry


# --- creation ----------------------------------------------------------------------------------------------------


def test_a_breach_credits_each_engaged_buyer_pending_cure(breach, engaged, buyer_b, agent) -> None:
    other = engage(buyer_b, agent, fee="500.00", currency="USD")
    verdict = breach()
    entries = {e.buyer_id: e for e in LedgerEntry.objects.all()}
    assert set(entries) == {engaged.buyer_id, other.buyer_id}
    mine = entries[engaged.buyer_id]
    assert mine.status == "pending_cure" and mine.verdict_id == verdict.pk and mine.clause_id == "resolution-rate"
    assert mine.amount == Decimal("120.00") and isinstance(mine.amount, Decimal) and mine.currency == "EUR"
    assert entries[other.buyer_id].amount == Decimal("50.00") and entries[other.buyer_id].currency == "USD"
    assert mine.percent == Decimal("10")
    # The cure period: the pact's response_days (5), from the moment the verdict was computed, to the second.
    assert mine.cure_ends_at == verdict.computed_at + timedelta(days=5)
    event = LedgerEvent.objects.get(entry=mine)
    assert (event.old, event.new) == ("", "pending_cure") and "resolution-rate breached" in event.note


def test_the_buyer_is_told_of_a_new_credit(entry, buyer, buyer_b) -> None:
    notice = Notification.objects.get(recipient=buyer, kind="ledger.entry_created")
    assert "120.00 EUR" in notice.title
    assert not Notification.objects.filter(recipient=buyer_b, kind__startswith="ledger.").exists()


def test_a_breach_earns_its_credit_once(breach, observe) -> None:
    breach()
    observe(20, trials=1000)  # still breached: a later verdict row of the same breach
    assert Verdict.objects.filter(status="breached").count() == 2
    assert LedgerEntry.objects.count() == 1


def test_a_new_breach_after_recovery_earns_a_new_credit(breach, observe) -> None:
    breach()
    observe(100_000, trials=100_000)  # met again
    observe(10, trials=1_000_000)  # breached again
    assert LedgerEntry.objects.count() == 2


def test_cure_days_overrides_response_days(agent, vendor, buyer, observe) -> None:
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(threshold=0.9, min_samples=1)
    document["obligations"] = [clause]
    document["dispute_terms"]["cure_days"] = 12
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Cure", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    engage(buyer, agent)
    observe(95)
    observe(10, trials=1000)
    entry = LedgerEntry.objects.select_related("verdict").get()
    assert entry.verdict is not None
    assert entry.cure_ends_at == entry.verdict.computed_at + timedelta(days=12)


def test_no_credit_without_an_engagement_or_a_service_credit(one_clause, agent, buyer, observe) -> None:
    observe(95)
    observe(10, trials=1000)
    assert not LedgerEntry.objects.exists()  # nobody engaged the agent


def test_an_ended_or_not_yet_started_engagement_earns_nothing(one_clause, agent, buyer, buyer_b, observe) -> None:
    ended = engage(buyer, agent)
    engagement_end(user=buyer, engagement=ended)
    engage(buyer_b, agent, starts_on=timezone.localdate() + timedelta(days=3))
    observe(95)
    observe(10, trials=1000)
    assert not LedgerEntry.objects.exists()


def test_a_clause_without_a_service_credit_earns_nothing(agent, vendor, buyer, observe) -> None:
    document = copy.deepcopy(REFUNDS_V1)
    clause = document["obligations"][0]
    clause.update(threshold=0.9, min_samples=1, on_breach=[{"action": "notify"}])
    document["obligations"] = [clause]
    pact = pact_services.pact_create(agent=agent, user=vendor, title="Notify", document=document)
    pact_services.pact_version_publish(version=pact.versions.get(number=1), user=vendor)
    engage(buyer, agent)
    observe(95)
    observe(10, trials=1000)
    assert Verdict.objects.filter(status="breached").exists() and not LedgerEntry.objects.exists()


# --- the amount --------------------------------------------------------------------------------------------------


def test_the_amount_is_pro_rata_to_the_active_days_of_the_month_in_decimal() -> None:
    assert credit_amount(
        monthly_fee=Decimal("1200.00"), percent=Decimal("10"), active_days=30, month_days=30
    ) == Decimal("120.00")
    assert credit_amount(
        monthly_fee=Decimal("800.00"), percent=Decimal("10"), active_days=16, month_days=30
    ) == Decimal("42.67")
    # 999.99 × 7.5 % × 16/31 = 38.70929…: exact decimal arithmetic, rounded half up to the cent.
    amount = credit_amount(monthly_fee=Decimal("999.99"), percent=Decimal("7.5"), active_days=16, month_days=31)
    assert amount == Decimal("38.71") and amount.as_tuple().exponent == -2
    assert credit_amount(monthly_fee=Decimal("0.10"), percent=Decimal("5"), active_days=1, month_days=30) == Decimal(
        "0.00"
    )


def test_active_days_count_the_engagement_within_the_month(one_clause, buyer, agent) -> None:
    from datetime import UTC, date, datetime

    recorded = datetime(2026, 1, 1, tzinfo=UTC)
    engagement = Engagement(starts_on=date(2026, 11, 15), ends_on=None, created_at=recorded)
    assert active_days_in_month(engagement, date(2026, 11, 20)) == (16, 30)
    engagement = Engagement(starts_on=date(2026, 10, 1), ends_on=date(2026, 11, 10), created_at=recorded)
    assert active_days_in_month(engagement, date(2026, 11, 5)) == (10, 30)
    assert active_days_in_month(Engagement(starts_on=date(2026, 1, 31), created_at=recorded), date(2026, 2, 1)) == (
        28,
        28,
    )


def test_a_start_dated_back_earns_no_credit_for_days_before_it_was_recorded() -> None:
    from datetime import UTC, date, datetime

    backdated = Engagement(starts_on=date(2026, 11, 1), created_at=datetime(2026, 11, 21, 9, tzinfo=UTC))
    assert active_days_in_month(backdated, date(2026, 11, 25)) == (10, 30)


def test_an_engagement_started_mid_month_earns_a_pro_rata_credit(one_clause, buyer, agent, observe) -> None:
    today = timezone.localdate()
    engage(buyer, agent, starts_on=today)
    observe(95)
    observe(10, trials=1000)
    entry = LedgerEntry.objects.select_related("verdict").get()
    assert entry.verdict is not None
    active, length = active_days_in_month(entry.engagement, entry.verdict.computed_at.date())
    assert active == length - today.day + 1
    assert entry.amount == (Decimal("120.00") * active / length).quantize(Decimal("0.01"))


# --- transitions -------------------------------------------------------------------------------------------------


def test_the_cure_period_ends_to_the_second(entry, buyer) -> None:
    with time_machine.travel(entry.cure_ends_at - timedelta(seconds=1), tick=False):
        assert ledger_sweep()["owed"] == 0
    entry.refresh_from_db()
    assert entry.status == "pending_cure"
    with time_machine.travel(entry.cure_ends_at, tick=False):
        assert ledger_sweep()["owed"] == 1
        assert ledger_sweep()["owed"] == 0  # idempotent
    entry.refresh_from_db()
    assert entry.status == "owed" and entry.updated_at == entry.cure_ends_at
    event = entry.events.last()
    assert (event.old, event.new, event.actor) == ("pending_cure", "owed", None)
    assert Notification.objects.filter(recipient=buyer, kind="ledger.entry_updated").count() == 1


def test_the_vendor_owner_marks_an_owed_credit_paid(owed, vendor, bearer) -> None:
    response = bearer(vendor).post(f"{URL}{owed.pk}/pay/", {"note": "invoice 42"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "paid"
    owed.refresh_from_db()
    event = owed.events.last()
    assert (owed.status, owed.note, event.old, event.new, event.actor) == ("paid", "invoice 42", "owed", "paid", vendor)


def test_paying_twice_is_a_409_naming_the_state(owed, vendor, bearer) -> None:
    client = bearer(vendor)
    client.post(f"{URL}{owed.pk}/pay/", {}, format="json")
    again = client.post(f"{URL}{owed.pk}/pay/", {}, format="json")
    assert again.status_code == 409 and again["Content-Type"].startswith("application/problem+json")
    assert "This entry is paid" in again.json()["detail"]
    assert owed.events.count() == 3  # created, owed, paid: the refusal wrote nothing


def test_a_credit_pending_cure_cannot_be_paid_yet(entry, vendor, bearer) -> None:
    response = bearer(vendor).post(f"{URL}{entry.pk}/pay/", {}, format="json")
    assert response.status_code == 409 and "pending cure" in response.json()["detail"]


def test_the_vendor_owner_waives_with_a_note(entry, vendor, bearer) -> None:
    client = bearer(vendor)
    assert client.post(f"{URL}{entry.pk}/waive/", {}, format="json").status_code == 400
    response = client.post(f"{URL}{entry.pk}/waive/", {"note": "goodwill"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "waived"
    event = LedgerEntry.objects.get().events.last()
    assert event is not None
    assert (event.old, event.new, event.note) == ("pending_cure", "waived", "goodwill")
    assert client.post(f"{URL}{entry.pk}/waive/", {"note": "again"}, format="json").status_code == 409


@pytest.mark.parametrize(("who", "status"), [("vendor_member", 403), ("buyer", 403), ("vendor_b", 404), ("staff", 403)])
def test_only_the_vendor_owner_settles(owed, who, status, bearer, request) -> None:
    client = bearer(request.getfixturevalue(who))
    assert client.post(f"{URL}{owed.pk}/pay/", {}, format="json").status_code == status
    assert client.post(f"{URL}{owed.pk}/waive/", {"note": "x"}, format="json").status_code == status
    owed.refresh_from_db()
    assert owed.status == "owed"


def test_a_ruling_cancels_and_a_settled_credit_cannot_be_cancelled(owed, entry, staff, vendor) -> None:
    cancelled = ledger_entry_cancel(user=staff, entry=owed, note="ruling 7")
    last = cancelled.events.last()
    assert cancelled.status == "cancelled" and last is not None and last.old == "owed"
    with pytest.raises(LedgerTransitionRefused, match="This entry is cancelled"):
        ledger_entry_pay(user=vendor, entry=cancelled)
    with pytest.raises(LedgerTransitionRefused):
        ledger_entry_cancel(user=None, entry=cancelled, note="twice")


def test_only_staff_cancel_for_now(owed, vendor) -> None:
    from trust_portal.errors import Forbidden

    with pytest.raises(Forbidden):
        ledger_entry_cancel(user=vendor, entry=owed, note="no")


# --- who sees what -----------------------------------------------------------------------------------------------


def test_each_caller_sees_only_their_own_entries(
    entry, buyer, buyer_b, vendor, vendor_member, vendor_b, staff, outsider, arbiter, bearer
):
    def ids(user) -> set[int]:
        response = bearer(user).get(URL)
        assert response.status_code == 200
        return {item["id"] for item in response.json()["results"]}

    assert ids(buyer) == ids(vendor) == ids(vendor_member) == ids(staff) == {entry.pk}
    assert ids(buyer_b) == ids(vendor_b) == ids(outsider) == ids(arbiter) == set()


def test_the_list_has_the_wire_format_filters_and_totals_per_currency(entry, buyer_b, agent, staff, bearer) -> None:
    item = bearer(staff).get(URL).json()["results"][0]
    assert {
        "id",
        "agent",
        "buyer",
        "clause",
        "verdict",
        "kind",
        "percent",
        "amount",
        "currency",
        "status",
        "cure_ends_at",
    } <= set(item)
    assert (item["agent"], item["clause"], item["kind"], item["amount"], item["status"]) == (
        "refund-bot",
        "resolution-rate",
        "service_credit",
        "120.00",
        "pending_cure",
    )
    usd = engage(buyer_b, agent, fee="333.33", currency="USD", starts_on=timezone.localdate().replace(day=1))
    LedgerEntry.objects.create(
        agent=agent,
        buyer=usd.buyer,
        engagement=usd,
        verdict=None,
        clause_id="resolution-rate",
        percent=Decimal("10"),
        amount=Decimal("33.33"),
        currency="USD",
        cure_ends_at=timezone.now(),
    )
    body = bearer(staff).get(URL).json()
    assert {t["currency"]: t["amount"] for t in body["totals"]} == {"EUR": "120.00", "USD": "33.33"}
    assert {t["currency"]: t["outstanding"] for t in body["totals_overall"]} == {"EUR": "120.00", "USD": "33.33"}
    only_usd = bearer(staff).get(URL, {"currency": "USD"}).json()
    assert [i["currency"] for i in only_usd["results"]] == ["USD"]
    assert bearer(staff).get(URL, {"status": "owed"}).json()["results"] == []
    assert len(bearer(staff).get(URL, {"agent": "refund-bot"}).json()["results"]) == 2
    assert bearer(staff).get(URL, {"status": "lost"}).status_code == 400
    assert bearer(staff).get(URL, {"currency": "usd"}).status_code == 400


def test_the_list_is_cursor_paginated(entry, staff, bearer) -> None:
    body = bearer(staff).get(URL, {"page_size": 1}).json()
    assert {"next", "previous", "results"} <= set(body) and len(body["results"]) == 1


# --- pages ---------------------------------------------------------------------------------------------------------


def test_the_ledger_page_shows_the_buyer_their_credits_and_totals(entry, buyer, client: Client) -> None:
    client.force_login(buyer)
    page = client.get("/ledger/").content.decode()
    assert 'data-testid="ledger-entry"' in page and "120.00 EUR" in page and 'data-testid="total-EUR"' in page
    assert "Mark paid" not in page and 'hx-post="/ledger/' not in page


def test_the_ledger_page_shows_others_nothing(entry, buyer_b, vendor_b, outsider, client: Client) -> None:
    for user in (buyer_b, vendor_b, outsider):
        client.force_login(user)
        page = client.get("/ledger/").content.decode()
        assert 'data-testid="ledger-entry"' not in page and "120.00" not in page


def test_the_vendor_owner_pays_from_the_ledger_page_with_htmx(owed, vendor, client: Client) -> None:
    client.force_login(vendor)
    page = client.get("/ledger/").content.decode()
    assert "Mark paid" in page and f'hx-post="/ledger/{owed.pk}/pay/"' in page
    row = client.post(f"/ledger/{owed.pk}/pay/", {"note": "done"}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and b"Paid" in row.content and b"Mark paid" not in row.content
    again = client.post(f"/ledger/{owed.pk}/pay/", HTTP_HX_REQUEST="true")
    assert b"This entry is paid" in again.content


def test_the_ledger_page_waives_with_a_note_and_filters(entry, vendor, client: Client) -> None:
    client.force_login(vendor)
    assert client.post(f"/ledger/{entry.pk}/waive/", {"note": ""}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == "pending_cure"  # no note, no waiver
    client.post(f"/ledger/{entry.pk}/waive/", {"note": "goodwill"})
    entry.refresh_from_db()
    assert entry.status == "waived"
    assert 'data-testid="ledger-entry"' not in client.get("/ledger/", {"status": "owed"}).content.decode()
    fragment = client.get("/ledger/", {"status": "waived"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('\n<div id="ledger-results">') or '<div id="ledger-results">' in fragment[:80]
    assert "goodwill" in fragment


def test_a_member_of_the_vendor_sees_but_cannot_settle(owed, vendor_member, client: Client) -> None:
    client.force_login(vendor_member)
    assert "Mark paid" not in client.get("/ledger/").content.decode()
    assert client.post(f"/ledger/{owed.pk}/pay/").status_code == 403


# --- the schema: cure_days is additive -------------------------------------------------------------------------


def test_cure_days_is_optional_and_existing_documents_keep_their_hash() -> None:
    # The hash of the demo pact before cure_days existed (pact/v1 without it): unchanged, and still valid.
    assert content_hash(REFUNDS_V1) == "7a1e8f1aa279708a5c3720957dc7332484f30a633fa444dab4e3ba6317dce96a"
    assert validate(copy.deepcopy(REFUNDS_V1)) == []
    with_cure = copy.deepcopy(REFUNDS_V1)
    with_cure["dispute_terms"]["cure_days"] = 10
    assert validate(with_cure) == []
    with_cure["dispute_terms"]["cure_days"] = -1
    assert [e.path for e in validate(with_cure)] == ["$.dispute_terms.cure_days"]


@pytest.mark.parametrize(
    ("stored", "on_the_wire", "for_people"),
    [("10", "10.000", "10"), ("2.5", "2.500", "2.5"), ("100", "100.000", "100")],
)
def test_events_and_webhooks_write_the_percent_as_the_api_does(
    entry, staff, bearer, stored, on_the_wire, for_people
) -> None:
    from reputation.ledger import entry_data, percent_text

    LedgerEntry.objects.filter(pk=entry.pk).update(percent=Decimal(stored))
    entry.refresh_from_db()
    assert entry_data(entry)["percent"] == on_the_wire == bearer(staff).get(URL).json()["results"][0]["percent"]
    assert percent_text(entry.percent) == for_people  # never "1E+1"
